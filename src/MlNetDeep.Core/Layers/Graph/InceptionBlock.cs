namespace MlNetDeep.Layers;

/// <summary>
/// An Inception module (seed 001 week 2): parallel branches read the same input and their outputs are concatenated on
/// the channel axis (axis 1 of [N, C, H, W], or the features of [N, F]). Branches are arbitrary layers, typically
/// 1x1 convolutions, 1x1 bottlenecks before 3x3 and 5x5 convolutions, and pooling followed by a 1x1 convolution, all
/// with "same" padding so that the spatial sizes agree. The module is a <see cref="Graph"/> with nodes
/// <c>branch0</c>, <c>branch1</c>, … and <c>concat</c>, so its parameters are named <c>branch0.0.weight</c> and so on.
/// </summary>
public static class InceptionBlock
{
    /// <summary>Creates an Inception module from its branches, whose channels appear in the output in the given order.</summary>
    /// <param name="branches">At least one branch; each a separate layer instance.</param>
    /// <returns>The unbuilt module.</returns>
    public static Graph Create(params IEnumerable<Layer> branches)
    {
        ArgumentNullException.ThrowIfNull(branches);
        var graph = new Graph { Name = "Inception" };
        var outputs = branches.Select((branch, i) => graph.Add(branch, graph.Input, $"branch{i}")).ToList();
        if (outputs.Count == 0)
        {
            throw new ArgumentException("An Inception module needs at least one branch.", nameof(branches));
        }

        graph.SetOutput(graph.Concat(outputs, "concat"));
        return graph;
    }
}
