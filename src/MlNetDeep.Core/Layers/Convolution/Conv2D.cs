using MlNetDeep.Initializers;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A 2-D convolution layer (seed 000 §2.1, seed 001 week 1) on NCHW images: each of <see cref="Filters"/> filters
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
public sealed class Conv2D : Layer
{
    private readonly Initializer _weightInitializer;
    private readonly Initializer _biasInitializer;
    private ConvolutionEngine? _engine;
    private Parameter? _weight;
    private Parameter? _bias;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _input;

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
    {
        Filters = filters;
        KernelSize = kernelSize;
        Stride = stride ?? (1, 1);
        Dilation = dilation ?? (1, 1);
        Padding = padding;
        Groups = groups;
        UseBias = useBias;
        ConvolutionSettings.Check(filters, KernelSize, Stride, Dilation, groups);
        _weightInitializer = weightInitializer ?? new FanInUniform();
        _biasInitializer = biasInitializer ?? new FanInUniform();
    }

    /// <summary>The number of filters (output channels).</summary>
    public int Filters { get; }

    /// <summary>The kernel's (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>The (vertical, horizontal) steps.</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>The zero padding as given (a <see cref="Padding.Same"/> padding is resolved per input size at build time).</summary>
    public Padding Padding { get; }

    /// <summary>The (vertical, horizontal) dilations.</summary>
    public (int Height, int Width) Dilation { get; }

    /// <summary>The number of channel groups.</summary>
    public int Groups { get; }

    /// <summary>True when the layer has a bias.</summary>
    public bool UseBias { get; }

    /// <summary>The padding actually applied (top, bottom, left, right), known once built.</summary>
    public Padding ResolvedPadding { get; private set; }

    /// <summary>The weights W, shape [Cout, Cin/groups, kh, kw].</summary>
    public Parameter Weight => _weight ?? throw new InvalidOperationException($"Layer '{Name}' is not built yet.");

    /// <summary>The bias b, shape [Cout]; null when <see cref="UseBias"/> is false.</summary>
    public Parameter? Bias => _bias;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => _bias is null ? [Weight] : [Weight, _bias];

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

        var fanIn = geometry.GroupRows;
        var fanOut = Filters * KernelSize.Height * KernelSize.Width;
        _weight = new Parameter("weight", true, Filters, channels / Groups, KernelSize.Height, KernelSize.Width);
        _weightInitializer.Fill(_weight.Value.Span, fanIn, fanOut, random);
        _bias = null;
        if (UseBias)
        {
            _bias = new Parameter("bias", false, Filters);
            _biasInitializer.Fill(_bias.Value.Span, fanIn, fanOut, random);
        }

        _engine = new ConvolutionEngine(geometry);
        return [Filters, outHeight, outWidth];
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var y = Tensor.Ensure(ref _output, input.Rows, OutputShape);
        _engine!.Lower(input, y, Weight.Value, _bias?.Value);
        _input = input;
        return y;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var x = _input ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        ConvolutionSettings.CheckGradient(Name, outputGradient, x.Rows, OutputShape);
        var dx = Tensor.Ensure(ref _inputGradient, x.Rows, InputShape);
        _engine!.LowerBackward(
            x,
            outputGradient,
            Weight.Value,
            Weight.Frozen ? null : Weight.Gradient,
            _bias is null || _bias.Frozen ? null : _bias.Gradient,
            ComputeInputGradient ? dx : null);
        return dx;
    }

    private static int FloorDivide(int a, int b) => (a / b) - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}
