using MlNetDeep.Initializers;
using MlNetDeep.Layers;
using MlNetDeep.Models;

namespace MlNetDeep.ML;

/// <summary>
/// Ready-made networks for <see cref="NeuralNetworkOptions.Network"/>: each is a factory from the per-sample input shape
/// and the number of outputs to a network whose last layer gives raw scores.
/// </summary>
public static class NetworkArchitecture
{
    /// <summary>Logistic regression (binary) or softmax regression (multiclass): one linear layer, no hidden layer.</summary>
    public static Func<int[], int, Layer> LogisticRegression() => (_, outputs) => DenseModels.Mlp([], outputs);

    /// <summary>A multilayer perceptron with the given hidden layers, activation, dropout keep probability and, optionally, weight initialisation.</summary>
    public static Func<int[], int, Layer> Mlp(int[] hiddenLayers, Activation activation = Activation.ReLU, float keepProbability = 1f, Initializer? initializer = null)
    {
        ArgumentNullException.ThrowIfNull(hiddenLayers);
        var hidden = (int[])hiddenLayers.Clone();
        return (_, outputs) => DenseModels.Mlp(hidden, outputs, activation, keepProbability, initializer);
    }
}
