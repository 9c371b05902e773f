using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// The identity on images whose height and width are multiples of <see cref="Multiple"/>, and a clear error at build
/// time for any other size. An encoder–decoder that halves the image n times and doubles it back (U-Net) returns to the
/// input size only when both sides divide by 2ⁿ; otherwise a skip connection's concatenation would fail deep inside the
/// network with shapes the user never chose.
/// </summary>
public sealed class InputSizeCheck : Layer
{
    /// <summary>Creates the check.</summary>
    /// <param name="multiple">The number both sides must divide by.</param>
    /// <param name="purpose">Why, for the error message (for example "U-Net of depth 3 halves the image 3 times").</param>
    public InputSizeCheck(int multiple, string purpose)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(multiple, 1);
        ArgumentNullException.ThrowIfNull(purpose);
        Multiple = multiple;
        Purpose = purpose;
    }

    /// <summary>The number height and width must divide by.</summary>
    public int Multiple { get; }

    /// <summary>Why the sizes must divide by <see cref="Multiple"/>.</summary>
    public string Purpose { get; }

    /// <inheritdoc />
    public override LayerDescription Describe() =>
        new("InputSizeCheck", Name, [new("multiple", LayerDescription.ToSetting(Multiple)), new("purpose", Purpose)]);

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        if (inputShape.Length != 3 || inputShape[1] % Multiple != 0 || inputShape[2] % Multiple != 0)
        {
            throw new ArgumentException(
                $"Layer '{Name}': {Purpose}, so the input must be images [C, H, W] whose height and width are multiples of {Multiple}; "
                + $"got {Tensor.Format(inputShape)}"
                + (inputShape.Length == 3 ? $" (nearest sizes that work: {Round(inputShape[1])}×{Round(inputShape[2])})." : "."),
                nameof(inputShape));
        }

        return inputShape;
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training) => input;

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;

    private int Round(int size) => Math.Max(Multiple, (int)Math.Round((double)size / Multiple) * Multiple);
}
