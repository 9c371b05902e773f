using MlNetDeep.Serialization;

namespace MlNetDeep.Layers;

/// <summary>Checks, descriptions and shape rules shared by <see cref="Conv2D"/> and <see cref="ConvTranspose2D"/>.</summary>
internal static class ConvolutionSettings
{
    /// <summary>Throws for non-positive sizes, or filters not divisible by the groups.</summary>
    public static void Check(int filters, (int Height, int Width) kernel, (int Height, int Width) stride, (int Height, int Width) dilation, int groups)
    {
        Positive(filters, "filters", "A convolution needs at least one filter.");
        Positive(kernel.Height, "kernelSize", "The kernel height must be positive.");
        Positive(kernel.Width, "kernelSize", "The kernel width must be positive.");
        Positive(stride.Height, "stride", "The vertical stride must be positive.");
        Positive(stride.Width, "stride", "The horizontal stride must be positive.");
        Positive(dilation.Height, "dilation", "The vertical dilation must be positive.");
        Positive(dilation.Width, "dilation", "The horizontal dilation must be positive.");
        Positive(groups, "groups", "There must be at least one group.");
        if (filters % groups != 0)
        {
            throw new ArgumentException($"The number of filters ({filters}) must be a multiple of groups ({groups}).", nameof(groups));
        }
    }

    /// <summary>The settings common to both layers, for <see cref="Layer.Describe"/>.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Describe(
        (int Height, int Width) kernel, (int Height, int Width) stride, Padding padding, (int Height, int Width) dilation, int groups, bool useBias) =>
    [
        new("kernelHeight", LayerDescription.ToSetting(kernel.Height)),
        new("kernelWidth", LayerDescription.ToSetting(kernel.Width)),
        new("strideHeight", LayerDescription.ToSetting(stride.Height)),
        new("strideWidth", LayerDescription.ToSetting(stride.Width)),
        new("padding", padding.ToString()),
        new("dilationHeight", LayerDescription.ToSetting(dilation.Height)),
        new("dilationWidth", LayerDescription.ToSetting(dilation.Width)),
        new("groups", LayerDescription.ToSetting(groups)),
        new("useBias", LayerDescription.ToSetting(useBias)),
    ];

    /// <summary>Reads what <see cref="Describe"/> wrote.</summary>
    public static ((int, int) Kernel, (int, int) Stride, Padding Padding, (int, int) Dilation, int Groups, bool UseBias) Read(LayerDescription d) => (
        (d.GetInt32("kernelHeight"), d.GetInt32("kernelWidth")),
        (d.GetInt32("strideHeight"), d.GetInt32("strideWidth")),
        Padding.Parse(d.GetString("padding")),
        (d.GetInt32("dilationHeight"), d.GetInt32("dilationWidth")),
        d.GetInt32("groups"),
        d.GetBoolean("useBias"));

    /// <summary>Checks that a per-sample input shape is an image [C, H, W] whose channels the groups divide.</summary>
    public static (int Channels, int Height, int Width) ImageShape(string layer, int[] inputShape, int groups)
    {
        if (inputShape.Length != 3)
        {
            throw new ArgumentException(
                $"Layer '{layer}' expects images [C, H, W] per sample (batches [N, C, H, W]) but was built for input shape {Tensor.Format(inputShape)}.",
                nameof(inputShape));
        }

        if (inputShape[0] % groups != 0)
        {
            throw new ArgumentException(
                $"Layer '{layer}': the input has {inputShape[0]} channels, which is not a multiple of groups ({groups}).", nameof(inputShape));
        }

        return (inputShape[0], inputShape[1], inputShape[2]);
    }

    /// <summary>⌊(n + before + after − d(f−1) − 1)/s⌋ + 1, or a clear error when the dilated kernel is larger than the padded input.</summary>
    public static int OutputSize(string layer, string axis, int n, int f, int before, int after, int stride, int dilation)
    {
        var span = (dilation * (f - 1)) + 1;
        var padded = n + before + after;
        if (span > padded)
        {
            throw new ArgumentException(
                $"Layer '{layer}': the kernel {axis} {f}"
                + (dilation > 1 ? $" (dilated by {dilation} to {span})" : string.Empty)
                + $" is larger than the padded input {axis} {padded} (input {n} + padding {before} + {after}).");
        }

        return ((padded - span) / stride) + 1;
    }

    /// <summary>Checks that the output gradient has the shape of the last output.</summary>
    public static void CheckGradient(string layer, Tensor outputGradient, int rows, ReadOnlySpan<int> outputShape)
    {
        if (outputGradient.Rows != rows || outputGradient.RowSize != Tensor.ProductOf(outputShape))
        {
            throw new ArgumentException(
                $"Layer '{layer}': the output gradient has shape {Tensor.Format(outputGradient.Shape)}; expected [{rows}, {string.Join(", ", outputShape.ToArray())}].",
                nameof(outputGradient));
        }
    }

    private static void Positive(int value, string name, string message)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, message);
        }
    }
}
