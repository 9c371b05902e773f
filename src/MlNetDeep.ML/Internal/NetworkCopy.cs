using Microsoft.ML.Data;
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
    public NetworkCopy(Layer network, int rows, int outputs)
    {
        Predictor = new BatchPredictor(network, copiesOnly: true);
        Features = new VBuffer<float>[rows];
        Finite = new bool[rows];
        Outputs = new float[rows * outputs];
    }

    /// <summary>Runs the network's copies over a block, a group of rows per core.</summary>
    public BatchPredictor Predictor { get; }

    /// <summary>
    /// Per slot of the block's pages: its features as the input's getter gave them (each keeps its own array from block to block),
    /// copied by the group that computes the row straight into its input.
    /// </summary>
    public VBuffer<float>[] Features { get; }

    /// <summary>Per slot of the block's pages: whether its features are all finite.</summary>
    public bool[] Finite { get; }

    /// <summary>The scored outputs, slot after slot.</summary>
    public float[] Outputs { get; }

    /// <summary>
    /// The share of a page's rows a split scoring gives the worker, one for each <see cref="PageKind"/>
    /// (<see cref="NetworkBlockScorer.Balance"/>): kept with the copy, so that the next cursor starts from where the last
    /// one settled.
    /// </summary>
    public double[] WorkerShares { get; } = [0.5, 0.5, 0.5];

    /// <summary>True once both copies have computed the largest part a split page can give them (allocating their buffers).</summary>
    public bool SizedForSplits { get; set; }

    /// <summary>What a split page is followed by, which decides its share of <see cref="WorkerShares"/>.</summary>
    internal enum PageKind
    {
        /// <summary>A full page, after which the worker reads the next.</summary>
        Full,

        /// <summary>A cursor's short first page, read while the worker waited, after which it reads a full one.</summary>
        First,

        /// <summary>A page after which nothing is read (the input's last): both threads only score it.</summary>
        Last,
    }
}
