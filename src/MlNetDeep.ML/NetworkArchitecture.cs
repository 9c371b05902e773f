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

    /// <summary>LeNet-5 as trained today (conv-ReLU-max-pool ×2, dense 120-84), optionally with batch norm and dropout; for [1, 28, 28] (or [C, 28, 28]) features.</summary>
    public static Func<int[], int, Layer> LeNet5(bool batchNorm = false, float keepProbability = 1f) =>
        (_, outputs) => Architectures.LeNet5(outputs, batchNorm, keepProbability);

    /// <summary>LeNet-5 as LeCun built it: trainable subsampling, C3's connection table, scaled tanh, optionally the RBF output.</summary>
    public static Func<int[], int, Layer> LeNet5Classic(bool rbfOutput = false) =>
        (_, outputs) => Architectures.LeNet5Classic(outputs, rbfOutput);

    /// <summary>A small GoogLeNet-style network of two Inception modules, for square images of the given side.</summary>
    public static Func<int[], int, Layer> SmallInception() =>
        (shape, outputs) => Architectures.SmallInception(outputs, shape[^1]);

    /// <summary>A small AlexNet-style CNN for small colour images (three conv-BN-ReLU-max-pool blocks of width, 2·width, 4·width filters).</summary>
    public static Func<int[], int, Layer> SmallConvNet(int width = 8, float keepProbability = 1f) =>
        (_, outputs) => Architectures.SmallConvNet(outputs, width, keepProbability);

    /// <summary>ResNet-18 for [3, side, side] images.</summary>
    public static Func<int[], int, Layer> ResNet18() => (shape, outputs) => Architectures.ResNet18(outputs, shape[^1]);

    /// <summary>AlexNet for [3, 227, 227] or [3, 224, 224] images (e.g. the 224 crops of <c>RandomCrop</c>).</summary>
    public static Func<int[], int, Layer> AlexNet() => (shape, outputs) => Architectures.AlexNet(outputs, shape[^1]);

    /// <summary>VGG-16 for [3, 224, 224] images.</summary>
    public static Func<int[], int, Layer> Vgg16() => (_, outputs) => Architectures.Vgg16(outputs);
}
