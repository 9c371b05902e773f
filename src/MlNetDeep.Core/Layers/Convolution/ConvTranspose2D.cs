using MlNetDeep.Initializers;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A 2-D transposed convolution ("反卷积", seed 004 §5.1), the up-sampling layer of FCN and U-Net: the adjoint of a
/// <see cref="Conv2D"/> with the same kernel, stride, padding and dilation. Each input value scatters a copy of the
/// kernel, scaled by the value, into the output at stride spacing; overlapping copies add up.
/// Output size per axis: (n − 1)·s − p_before − p_after + d(f − 1) + outputPadding + 1 (n·s for <see cref="Padding.Same"/>).
/// </summary>
/// <remarks>
/// Weights have PyTorch's ConvTranspose2d layout [Cin, Cout/groups, kh, kw]. Forward: cols = Wᵀ·x per sample and group,
/// then col2im (the backward data pass of a convolution); backward: cols = im2col(∂C/∂y), ∂C/∂x = W·cols,
/// ∂C/∂W += x·colsᵀ, ∂C/∂b += the sums of ∂C/∂y per channel (the forward pass of a convolution). The kernels are shared
/// with <see cref="Conv2D"/>: the batch is split across the cores and nothing is allocated per batch in steady state.
/// </remarks>
public sealed class ConvTranspose2D : ConvolutionLayer
{
    /// <summary>Creates a transposed convolution with a square kernel and equal strides, output paddings and dilations.</summary>
    /// <param name="filters">The number of output channels.</param>
    /// <param name="kernelSize">The kernel's height and width f.</param>
    /// <param name="stride">The up-sampling step s.</param>
    /// <param name="padding">The padding of the matching convolution, removed from the output's borders; <see cref="Padding.Valid"/> by default.</param>
    /// <param name="outputPadding">Extra rows and columns on the bottom/right, to pick among the input sizes a strided convolution maps to the same output size; less than max(stride, dilation).</param>
    /// <param name="dilation">The spacing d between kernel taps.</param>
    /// <param name="groups">The number of channel groups; it must divide both the input channels and <paramref name="filters"/>.</param>
    /// <param name="useBias">False for a layer without bias.</param>
    /// <param name="weightInitializer">How W is initialised; <see cref="FanInUniform"/> with fan-in Cout/groups·kh·kw (PyTorch's default) when null.</param>
    /// <param name="biasInitializer">How b is initialised; <see cref="FanInUniform"/> with the same fan-in when null.</param>
    public ConvTranspose2D(
        int filters,
        int kernelSize,
        int stride = 1,
        Padding padding = default,
        int outputPadding = 0,
        int dilation = 1,
        int groups = 1,
        bool useBias = true,
        Initializer? weightInitializer = null,
        Initializer? biasInitializer = null)
        : this(
            filters, (kernelSize, kernelSize), (stride, stride), padding, (outputPadding, outputPadding), (dilation, dilation), groups, useBias,
            weightInitializer, biasInitializer)
    {
    }

    /// <summary>Creates a transposed convolution with a rectangular kernel and per-axis settings.</summary>
    /// <param name="filters">The number of output channels.</param>
    /// <param name="kernelSize">The kernel's (height, width).</param>
    /// <param name="stride">The (vertical, horizontal) steps; (1, 1) when null.</param>
    /// <param name="padding">The padding of the matching convolution; <see cref="Padding.Valid"/> by default.</param>
    /// <param name="outputPadding">The extra (rows, columns) on the bottom/right; (0, 0) when null.</param>
    /// <param name="dilation">The (vertical, horizontal) dilations; (1, 1) when null.</param>
    /// <param name="groups">The number of channel groups.</param>
    /// <param name="useBias">False for a layer without bias.</param>
    /// <param name="weightInitializer">How W is initialised; <see cref="FanInUniform"/> when null.</param>
    /// <param name="biasInitializer">How b is initialised; <see cref="FanInUniform"/> when null.</param>
    public ConvTranspose2D(
        int filters,
        (int Height, int Width) kernelSize,
        (int Height, int Width)? stride = null,
        Padding padding = default,
        (int Height, int Width)? outputPadding = null,
        (int Height, int Width)? dilation = null,
        int groups = 1,
        bool useBias = true,
        Initializer? weightInitializer = null,
        Initializer? biasInitializer = null)
        : base(filters, kernelSize, stride, padding, dilation, groups, useBias, weightInitializer, biasInitializer)
    {
        OutputPadding = outputPadding ?? (0, 0);
        CheckOutputPadding(OutputPadding.Height, Stride.Height, Dilation.Height, padding.IsSame);
        CheckOutputPadding(OutputPadding.Width, Stride.Width, Dilation.Width, padding.IsSame);
    }

    /// <summary>The extra (rows, columns) on the bottom/right of the output.</summary>
    public (int Height, int Width) OutputPadding { get; }

    /// <summary>The output size along one axis: (n − 1)·s − 2p + d(f − 1) + outputPadding + 1.</summary>
    /// <param name="n">The input size.</param>
    /// <param name="f">The kernel size.</param>
    /// <param name="p">The padding on each side.</param>
    /// <param name="s">The stride.</param>
    /// <param name="outputPadding">The extra size on the bottom/right.</param>
    /// <param name="dilation">The dilation d.</param>
    public static int OutputSize(int n, int f, int p, int s, int outputPadding = 0, int dilation = 1) =>
        ((n - 1) * s) - (2 * p) + (dilation * (f - 1)) + outputPadding + 1;

    /// <inheritdoc />
    /// <remarks>The initialisers are not described: a loaded or cloned layer takes its weights from the original.</remarks>
    public override LayerDescription Describe() => new(
        "ConvTranspose2D",
        Name,
        [
            new("filters", LayerDescription.ToSetting(Filters)),
            new("outputPaddingHeight", LayerDescription.ToSetting(OutputPadding.Height)),
            new("outputPaddingWidth", LayerDescription.ToSetting(OutputPadding.Width)),
            .. ConvolutionSettings.Describe(KernelSize, Stride, Padding, Dilation, Groups, UseBias),
        ]);

    /// <summary>Re-creates a layer from <see cref="Describe"/>'s settings.</summary>
    internal static ConvTranspose2D FromDescription(LayerDescription d)
    {
        var (kernel, stride, padding, dilation, groups, useBias) = ConvolutionSettings.Read(d);
        var outputPadding = (d.GetInt32("outputPaddingHeight"), d.GetInt32("outputPaddingWidth"));
        return new ConvTranspose2D(d.GetInt32("filters"), kernel, stride, padding, outputPadding, dilation, groups, useBias);
    }

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        var (channels, height, width) = ConvolutionSettings.ImageShape(Name, inputShape, Groups);
        var (outHeight, top) = Axis("height", height, KernelSize.Height, Stride.Height, OutputPadding.Height, Dilation.Height, true);
        var (outWidth, left) = Axis("width", width, KernelSize.Width, Stride.Width, OutputPadding.Width, Dilation.Width, false);

        // The matching convolution maps the output (its image) back to the input (its column side).
        var geometry = new ConvolutionGeometry(
            Filters, outHeight, outWidth, channels, height, width, KernelSize.Height, KernelSize.Width, Stride.Height, Stride.Width,
            top, left, Dilation.Height, Dilation.Width, Groups);
        CreateParameters(geometry, [channels, Filters / Groups, KernelSize.Height, KernelSize.Width], channels * KernelSize.Height * KernelSize.Width, random);
        return [Filters, outHeight, outWidth];
    }

    /// <inheritdoc />
    private protected override bool IsTransposed => true;

    private static void CheckOutputPadding(int outputPadding, int stride, int dilation, bool same)
    {
        if (outputPadding < 0 || outputPadding >= Math.Max(stride, dilation))
        {
            throw new ArgumentOutOfRangeException(
                nameof(outputPadding), outputPadding, $"The output padding must be at least 0 and less than max(stride, dilation) = {Math.Max(stride, dilation)}.");
        }

        if (same && outputPadding != 0)
        {
            throw new ArgumentException("Padding.Same fixes the output size at n·stride; it cannot be combined with an output padding.", nameof(outputPadding));
        }
    }

    /// <summary>The output size and the leading padding along one axis.</summary>
    private (int Size, int Before) Axis(string axis, int n, int f, int s, int outputPadding, int dilation, bool vertical)
    {
        if (Padding.IsSame)
        {
            return (n * s, Padding.Resolve(vertical, n * s, f, s, dilation).Before);
        }

        var (before, after) = Padding.Resolve(vertical, n, f, s, dilation);
        var size = ((n - 1) * s) - before - after + (dilation * (f - 1)) + outputPadding + 1;
        if (size <= 0)
        {
            throw new ArgumentException(
                $"Layer '{Name}': the padding {before} + {after} removes the whole output {axis} ({size + before + after} before padding) for input {axis} {n}.");
        }

        return (size, before);
    }
}
