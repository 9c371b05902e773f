using MlNetDeep.Layers;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// What a Transform cursor scores a block of rows with: a <see cref="BatchPredictor"/> that runs private copies of the
/// transformer's network (sharing its weights, never running the network itself, since layers keep per-call buffers and
/// cursors of a set run at once) and the block's buffers. The transformer pools these for small networks so that
/// repeated Transform calls (Evaluate, cross-validation) do not clone, allocate and fault in a network's activations
/// each time (<see cref="NeuralNetworkTransformer"/>); a pooled one sees any change of the network's weights.
/// </summary>
internal sealed class NetworkCopy
{
    public NetworkCopy(Layer network, int[] featureShape, int rows, int outputs)
    {
        Predictor = new BatchPredictor(network, copiesOnly: true);
        InputShape = [rows, .. featureShape];
        Input = new Tensor((int[])InputShape.Clone());
        Finite = new bool[rows];
        Outputs = new float[rows * outputs];
    }

    /// <summary>Runs the network's copies over a block, a group of rows per core.</summary>
    public BatchPredictor Predictor { get; }

    /// <summary>[rows, ..features]: the block's features; its storage holds a whole block, whatever its current shape.</summary>
    public Tensor Input { get; }

    /// <summary>The input shape of the current block: rows first, then the feature shape.</summary>
    public int[] InputShape { get; }

    /// <summary>Per row of the block: whether its features are all finite.</summary>
    public bool[] Finite { get; }

    /// <summary>The block's scored outputs, row after row.</summary>
    public float[] Outputs { get; }
}
