using MlNetDeep.Initializers;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;

namespace MlNetDeep.Models;

/// <summary>
/// Ready-made dense networks of the curriculum: logistic regression (one sigmoid neuron), the shallow network
/// (one hidden layer, seed 001 week 3) and deep MLPs of any depth (week 4). Outputs are logits: train them with
/// <c>BinaryCrossEntropy</c> (one output) or <c>SoftmaxCrossEntropy</c> (K outputs), which apply σ or softmax.
/// </summary>
public static class DenseModels
{
    /// <summary>Logistic regression: a single neuron z = wᵀx + b whose σ(z) is P(y = 1 | x).</summary>
    public static Sequential LogisticRegression() => new(new Dense(1, new Zeros())) { Name = "LogisticRegression" };

    /// <summary>A network with one hidden layer of <paramref name="hidden"/> units.</summary>
    public static Sequential Shallow(int hidden, int outputs, Activation activation = Activation.Tanh) =>
        Mlp([hidden], outputs, activation);

    /// <summary>A multilayer perceptron: hidden dense layers with the given activation and optional inverted dropout, then a linear output.</summary>
    /// <param name="hidden">The sizes of the hidden layers, in order (may be empty).</param>
    /// <param name="outputs">The number of outputs (classes, or 1 for binary).</param>
    /// <param name="activation">The hidden activation; its matching initialisation is used (Kaiming for the ReLU family, LeCun for SELU, Xavier otherwise).</param>
    /// <param name="keepProbability">When below 1, dropout after each hidden activation with this keep_prob.</param>
    /// <param name="initializer">Overrides the weight initialisation of every layer.</param>
    public static Sequential Mlp(IReadOnlyList<int> hidden, int outputs, Activation activation = Activation.ReLU, float keepProbability = 1f, Initializer? initializer = null)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var init = initializer ?? activation switch
        {
            Activation.ReLU or Activation.LeakyReLU or Activation.PReLU or Activation.ELU => new KaimingUniform(),
            Activation.SELU => new LeCunNormal(),
            _ => (Initializer)new XavierUniform(),
        };
        var net = new Sequential { Name = $"Mlp({string.Join("-", hidden)}-{outputs})" };
        foreach (var units in hidden)
        {
            net.Add(new Dense(units, init));
            net.Add(CreateActivation(activation));
            if (keepProbability < 1f)
            {
                net.Add(new Dropout(keepProbability));
            }
        }

        net.Add(new Dense(outputs, initializer ?? (hidden.Count == 0 ? new XavierUniform() : init)));
        return net;
    }

    /// <summary>Creates the activation layer for <paramref name="activation"/>.</summary>
    public static Layer CreateActivation(Activation activation) => activation switch
    {
        Activation.ReLU => new ReLU(),
        Activation.LeakyReLU => new LeakyReLU(),
        Activation.PReLU => new PReLU(),
        Activation.Tanh => new Tanh(),
        Activation.Sigmoid => new Sigmoid(),
        Activation.ELU => new ELU(),
        Activation.SELU => new SELU(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };
}
