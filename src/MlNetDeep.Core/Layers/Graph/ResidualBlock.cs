using MlNetDeep.Layers.Activations;

namespace MlNetDeep.Layers;

/// <summary>
/// ResNet's residual block (seed 001 week 2, seed 004 §4.5): a[l+2] = g(z[l+2] + a[l]), where the main path computes
/// z[l+2] from a[l] (typically conv-BN-ReLU-conv-BN, ending without an activation) and the shortcut is the identity,
/// or a projection (a 1x1 convolution, or a dense layer) when the main path changes the shape.
/// The block is a <see cref="Graph"/> with nodes <c>main</c>, <c>shortcut</c> (when a projection is given), <c>sum</c>
/// and <c>activation</c>, so its parameters are named <c>main.0.weight</c>, <c>shortcut.weight</c> and so on, and it
/// is saved, loaded and cloned as a graph.
/// </summary>
public static class ResidualBlock
{
    /// <summary>Creates a residual block.</summary>
    /// <param name="main">The main path, for example a <see cref="Sequential"/> of convolutions and batch normalisation.</param>
    /// <param name="shortcut">A projection applied to the block's input; null for the identity shortcut, in which case
    /// the main path must keep the shape.</param>
    /// <param name="activation">The activation g after the addition; a <see cref="ReLU"/> when null.</param>
    /// <param name="activate">False to return z[l+2] + a[l] without an activation (then <paramref name="activation"/> must be null).</param>
    /// <returns>The unbuilt block.</returns>
    public static Graph Create(Layer main, Layer? shortcut = null, Layer? activation = null, bool activate = true)
    {
        ArgumentNullException.ThrowIfNull(main);
        if (!activate && activation is not null)
        {
            throw new ArgumentException("An activation is given but activate is false.", nameof(activation));
        }

        var graph = new Graph { Name = "ResidualBlock" };
        var path = graph.Add(main, graph.Input, "main");
        var skip = shortcut is null ? graph.Input : graph.Add(shortcut, graph.Input, "shortcut");
        var sum = graph.Sum([path, skip], "sum");
        graph.SetOutput(activate ? graph.Add(activation ?? new ReLU(), sum, "activation") : sum);
        return graph;
    }
}
