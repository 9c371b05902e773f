using MlNetDeep.Initializers;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A 2-D convolution layer (seed 000 §2.1, seed 001 week 1) on NCHW images: each of <see cref="ConvolutionLayer.Filters"/> filters
/// slides over the (padded) input with the given stride and dilation, multiplies element-wise and sums over its window
/// and the input channels (cross-correlation, as in every deep-learning library), then adds its bias.
/// Output size per axis: ⌊(n + p_before + p_after − d(f−1) − 1)/s⌋ + 1 (see <see cref="OutputSize"/>).
/// </summary>
/// <remarks>
/// <para>
/// Weights W have PyTorch's layout [Cout, Cin/groups, kh, kw]; fan-in = Cin/groups·kh·kw. With groups &gt; 1 the input
/// channels and the filters are split into that many groups, each convolved separately (groups = Cin is a depthwise
/// convolution). Dilation d spreads the kernel taps d apart (atrous convolution, seed 004 §5.2).
/// </para>
/// <para>
/// Forward: im2col and one GEMM per sample and group, y = W·cols, with the bias pre-filled; backward:
/// ∂C/∂W += ∂C/∂y·colsᵀ, ∂C/∂b += the sums of ∂C/∂y per channel, ∂C/∂x = col2im(Wᵀ·∂C/∂y). The batch is split across
/// the cores; 1x1 convolutions with stride 1 and no padding skip im2col. No allocation per batch in steady state.
/// </para>
/// </remarks>
public sealed class Conv2D : ConvolutionLayer
{
    /// <summary>Creates a convolution with a square kernel and equal strides and dilations.</summary>
    /// <param name="filters">The number of filters, that is output channels.</param>
    /// <param name="kernelSize">The kernel's height and width f.</param>
    /// <param name="stride">The step s in both directions.</param>
    /// <param name="padding">The zero padding; <see cref="Padding.Valid"/> by default. An integer p means p on every side.</param>
    /// <param name="dilation">The spacing d between kernel taps; 1 for an ordinary convolution.</param>
    /// <param name="groups">The number of channel groups; it must divide both the input channels and <paramref name="filters"/>.</param>
    /// <param name="useBias">False for a layer without bias (for example before batch normalisation).</param>
    /// <param name="weightInitializer">How W is initialised; <see cref="FanInUniform"/> (U(±1/√fan-in), PyTorch's Conv2d default) when null.</param>
    /// <param name="biasInitializer">How b is initialised; <see cref="FanInUniform"/> with the weights' fan-in (PyTorch's default) when null.</param>
    public Conv2D(
        int filters,
        int kernelSize,
        int stride = 1,
        Padding padding = default,
        int dilation = 1,
        int groups = 1,
        bool useBias = true,
        Initializer? weightInitializer = null,
        Initializer? biasInitializer = null)
        : this(filters, (kernelSize, kernelSize), (stride, stride), padding, (dilation, dilation), groups, useBias, weightInitializer, biasInitializer)
    {
    }

    /// <summary>Creates a convolution with a rectangular kernel and per-axis strides and dilations.</summary>
    /// <param name="filters">The number of filters, that is output channels.</param>
    /// <param name="kernelSize">The kernel's (height, width).</param>
    /// <param name="stride">The (vertical, horizontal) steps; (1, 1) when null.</param>
    /// <param name="padding">The zero padding; <see cref="Padding.Valid"/> by default.</param>
    /// <param name="dilation">The (vertical, horizontal) spacing between kernel taps; (1, 1) when null.</param>
    /// <param name="groups">The number of channel groups; it must divide both the input channels and <paramref name="filters"/>.</param>
    /// <param name="useBias">False for a layer without bias.</param>
    /// <param name="weightInitializer">How W is initialised; <see cref="FanInUniform"/> when null.</param>
    /// <param name="biasInitializer">How b is initialised; <see cref="FanInUniform"/> with the weights' fan-in when null.</param>
    public Conv2D(
        int filters,
        (int Height, int Width) kernelSize,
        (int Height, int Width)? stride = null,
        Padding padding = default,
        (int Height, int Width)? dilation = null,
        int groups = 1,
        bool useBias = true,
        Initializer? weightInitializer = null,
        Initializer? biasInitializer = null)
        : base(filters, kernelSize, stride, padding, dilation, groups, useBias, weightInitializer, biasInitializer)
    {
    }

    /// <summary>The padding actually applied (top, bottom, left, right), known once built.</summary>
    public Padding ResolvedPadding { get; private set; }

    /// <summary>
    /// The output size along one axis, ⌊(n + 2p − d(f−1) − 1)/s⌋ + 1 (seed 001: ⌊(n + 2p − f)/s⌋ + 1 when d = 1).
    /// </summary>
    /// <param name="n">The input size.</param>
    /// <param name="f">The kernel size.</param>
    /// <param name="p">The padding on each side.</param>
    /// <param name="s">The stride.</param>
    /// <param name="dilation">The dilation d.</param>
    /// <returns>The output size; zero or less when the dilated kernel does not fit into the padded input.</returns>
    public static int OutputSize(int n, int f, int p, int s, int dilation = 1)
    {
        if (s <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(s), s, "The stride must be positive.");
        }

        return FloorDivide(n + (2 * p) - (dilation * (f - 1)) - 1, s) + 1;
    }

    /// <inheritdoc />
    /// <remarks>The initialisers are not described: a loaded or cloned layer takes its weights from the original.</remarks>
    public override LayerDescription Describe() => new(
        "Conv2D",
        Name,
        [
            new("filters", LayerDescription.ToSetting(Filters)),
            .. ConvolutionSettings.Describe(KernelSize, Stride, Padding, Dilation, Groups, UseBias),
        ]);

    /// <summary>Re-creates a layer from <see cref="Describe"/>'s settings.</summary>
    internal static Conv2D FromDescription(LayerDescription d)
    {
        var (kernel, stride, padding, dilation, groups, useBias) = ConvolutionSettings.Read(d);
        return new Conv2D(d.GetInt32("filters"), kernel, stride, padding, dilation, groups, useBias);
    }

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        var (channels, height, width) = ConvolutionSettings.ImageShape(Name, inputShape, Groups);
        var (top, bottom) = Padding.Resolve(true, height, KernelSize.Height, Stride.Height, Dilation.Height);
        var (left, right) = Padding.Resolve(false, width, KernelSize.Width, Stride.Width, Dilation.Width);
        var outHeight = ConvolutionSettings.OutputSize(Name, "height", height, KernelSize.Height, top, bottom, Stride.Height, Dilation.Height);
        var outWidth = ConvolutionSettings.OutputSize(Name, "width", width, KernelSize.Width, left, right, Stride.Width, Dilation.Width);
        var geometry = new ConvolutionGeometry(
            channels, height, width, Filters, outHeight, outWidth, KernelSize.Height, KernelSize.Width, Stride.Height, Stride.Width,
            top, left, Dilation.Height, Dilation.Width, Groups);
        ResolvedPadding = Padding.Explicit(top, bottom, left, right);

        CreateParameters(geometry, [Filters, channels / Groups, KernelSize.Height, KernelSize.Width], Filters * KernelSize.Height * KernelSize.Width, random);
        return [Filters, outHeight, outWidth];
    }

    /// <inheritdoc />
    private protected override bool IsTransposed => false;

    private static int FloorDivide(int a, int b) => (a / b) - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}
