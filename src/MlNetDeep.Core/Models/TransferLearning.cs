using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Models;

/// <summary>
/// Transfer learning (seed 001, 卷积神经网络 week 2): keep the layers a network learned on a large data set, freeze them
/// so their weights stay as they are, replace the classifier head for the new task, and train only the head (or, with
/// more data, unfreeze and fine-tune more layers).
/// </summary>
public static class TransferLearning
{
    /// <summary>Freezes (or unfreezes) every parameter of the first <paramref name="layerCount"/> layers.</summary>
    public static void Freeze(Sequential network, int layerCount, bool frozen = true)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfNegative(layerCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layerCount, network.Layers.Count);
        foreach (var layer in network.Layers.Take(layerCount))
        {
            foreach (var p in layer.Parameters)
            {
                p.Frozen = frozen;
            }
        }
    }

    /// <summary>
    /// A new network made of <paramref name="pretrained"/>'s layers without its last <paramref name="removeLast"/>, followed
    /// by <paramref name="head"/>, built for the same input. The kept layers are shared, not copied: they keep their
    /// trained weights (and their frozen flags). Only the head is initialised, from <paramref name="seed"/>.
    /// </summary>
    public static Sequential ReplaceHead(Sequential pretrained, Layer head, int removeLast = 1, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(pretrained);
        ArgumentNullException.ThrowIfNull(head);
        if (!pretrained.IsBuilt)
        {
            throw new InvalidOperationException($"Network '{pretrained.Name}' must be built (trained) before its head is replaced.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(removeLast, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(removeLast, pretrained.Layers.Count);
        var network = new Sequential([.. pretrained.Layers.Take(pretrained.Layers.Count - removeLast), head]) { Name = pretrained.Name + "-transfer" };
        network.Build(pretrained.InputShape, new RandomSource(seed));
        return network;
    }
}
