using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A trainable tensor with its gradient. Layers' <c>Backward</c> adds into <see cref="Gradient"/>;
/// optimizers read it and update <see cref="Value"/>.
/// </summary>
public sealed class Parameter
{
    /// <summary>Creates a parameter of the given shape, zero-filled, with a zero gradient.</summary>
    /// <param name="name">A name unique within its layer, such as <c>weight</c> or <c>bias</c>.</param>
    /// <param name="isWeight">True for weights (L1/L2 regularisation applies), false for biases and scales.</param>
    /// <param name="shape">The shape.</param>
    public Parameter(string name, bool isWeight, params int[] shape)
    {
        Name = name;
        IsWeight = isWeight;
        Value = new Tensor(shape);
        Gradient = new Tensor(shape);
    }

    /// <summary>The name within its layer.</summary>
    public string Name { get; }

    /// <summary>The current values.</summary>
    public Tensor Value { get; }

    /// <summary>The accumulated gradient of the loss with respect to <see cref="Value"/>.</summary>
    public Tensor Gradient { get; }

    /// <summary>True for weights: the seeds regularise <c>w</c>, not <c>b</c>.</summary>
    public bool IsWeight { get; }

    /// <summary>When true, optimizers leave the value unchanged (transfer learning).</summary>
    public bool Frozen { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Name}{Tensor.Format(Value.Shape)}";
}
