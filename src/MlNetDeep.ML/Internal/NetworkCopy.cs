using MlNetDeep.Layers;
using MlNetDeep.Serialization;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// A private copy of a transformer's network with the buffers for one block of rows: what a Transform cursor scores
/// with. Layers keep per-call buffers, so cursors cannot share one; the transformer pools the copies of small networks
/// so that repeated Transform calls (Evaluate, cross-validation) do not clone, allocate and fault in a network's
/// activations each time (<see cref="NeuralNetworkTransformer"/>).
/// </summary>
internal sealed class NetworkCopy
{
    private readonly Tensor[] _source;
    private readonly Tensor[] _target;

    public NetworkCopy(Layer network, int[] featureShape, int rows, int outputs)
    {
        Network = NetworkFile.Clone(network);
        Predictor = new BatchPredictor(Network);
        InputShape = [rows, .. featureShape];
        Input = new Tensor((int[])InputShape.Clone());
        Finite = new bool[rows];
        Outputs = new float[rows * outputs];
        _source = Values(network);
        _target = Values(Network);
    }

    /// <summary>The copy of the network.</summary>
    public Layer Network { get; }

    /// <summary>Runs <see cref="Network"/> over a block, a group of rows per core (its copies share the copy's values).</summary>
    public BatchPredictor Predictor { get; }

    /// <summary>[rows, ..features]: the block's features; its storage holds a whole block, whatever its current shape.</summary>
    public Tensor Input { get; }

    /// <summary>The input shape of the current block: rows first, then the feature shape.</summary>
    public int[] InputShape { get; }

    /// <summary>Per row of the block: whether its features are all finite.</summary>
    public bool[] Finite { get; }

    /// <summary>The block's scored outputs, row after row.</summary>
    public float[] Outputs { get; }

    /// <summary>
    /// Copies the original network's parameters and buffers again, so a pooled copy scores as a fresh clone would
    /// even if the network's values were changed between two Transform calls.
    /// </summary>
    public void Refresh()
    {
        for (var i = 0; i < _source.Length; i++)
        {
            _source[i].Span.CopyTo(_target[i].Span);
        }
    }

    private static Tensor[] Values(Layer network) => [.. network.Parameters.Select(p => p.Value), .. network.Buffers.Select(b => b.Value)];
}
