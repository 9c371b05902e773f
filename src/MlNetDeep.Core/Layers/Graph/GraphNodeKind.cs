namespace MlNetDeep.Layers;

/// <summary>What a <see cref="GraphNode"/> computes.</summary>
public enum GraphNodeKind
{
    /// <summary>The graph's input: the batch passed to <see cref="Layer.Forward"/>.</summary>
    Input,

    /// <summary>A layer applied to one input node.</summary>
    Layer,

    /// <summary>The elementwise sum of its inputs, which must have the same shape (ResNet's residual addition).</summary>
    Sum,

    /// <summary>Its inputs joined along the first per-sample axis: channels of [N, C, H, W], features of [N, F] (Inception, U-Net skips).</summary>
    Concat,
}
