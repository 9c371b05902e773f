using MlNetDeep.Initializers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// What <see cref="Conv2D"/> and <see cref="ConvTranspose2D"/> share: the settings, the weight and bias, and the forward
/// and backward passes over one <c>ConvolutionEngine</c> — a transposed convolution runs the same kernels with the roles
/// of input and output swapped.
/// </summary>
public abstract unsafe class ConvolutionLayer : Layer
{
    /// <inheritdoc />
    internal override bool IsSampleIndependent => true;

    private readonly Initializer _weightInitializer;
    private readonly Initializer _biasInitializer;
    private ConvolutionEngine? _engine;
    private Parameter? _weight;
    private Parameter? _bias;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _input;
    private ConvolutionEpilogue? _epilogue;

    private protected ConvolutionLayer(
        int filters,
        (int Height, int Width) kernelSize,
        (int Height, int Width)? stride,
        Padding padding,
        (int Height, int Width)? dilation,
        int groups,
        bool useBias,
        Initializer? weightInitializer,
        Initializer? biasInitializer)
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

    /// <summary>The weights W (their layout is the derived layer's).</summary>
    public Parameter Weight => _weight ?? throw new InvalidOperationException($"Layer '{Name}' is not built yet.");

    /// <summary>The bias b, shape [Cout]; null when <see cref="UseBias"/> is false.</summary>
    public Parameter? Bias => _bias;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => _bias is null ? [Weight] : [Weight, _bias];

    /// <summary>True for a transposed convolution: forward raises (col2im) where a convolution lowers (im2col).</summary>
    private protected abstract bool IsTransposed { get; }

    /// <summary>Creates and initialises W (of <paramref name="weightShape"/>) and b, and the engine for <paramref name="geometry"/>.</summary>
    private protected void CreateParameters(ConvolutionGeometry geometry, int[] weightShape, int fanOut, RandomSource random)
    {
        var fanIn = geometry.GroupRows;
        _weight = new Parameter("weight", true, weightShape);
        _weightInitializer.Fill(_weight.Value.Span, fanIn, fanOut, random);
        _bias = null;
        if (UseBias)
        {
            _bias = new Parameter("bias", false, Filters);
            _biasInitializer.Fill(_bias.Value.Span, fanIn, fanOut, random);
        }

        _engine = new ConvolutionEngine(geometry);
    }

    /// <summary>True when the forward pass is computed by Winograd's F(2x2, 3x3) (<see cref="WinogradConvolution"/>); for tests.</summary>
    internal bool ForwardByWinograd => !IsTransposed && _engine is { ForwardByWinograd: true };

    /// <summary>True when the inference passes run by Winograd's F(4x4, 3x3).</summary>
    internal bool InferenceByWinograd4 => !IsTransposed && _engine is { InferenceByWinograd4: true };

    /// <summary>True when a dilated convolution runs as an ordinary one on its images' phases (<see cref="PhaseSplitConvolution"/>); for tests.</summary>
    internal bool ByPhases => !IsTransposed && _engine is { ByPhases: true };

    /// <summary>True when the engine runs this strided convolution on its phases stacked as channels (space to depth).</summary>
    internal bool BySpaceToDepth => !IsTransposed && _engine is { BySpaceToDepth: true };

    /// <summary>True when the input gradient is computed by Winograd's F(2x2, 3x3); for tests.</summary>
    internal bool InputGradientByWinograd => !IsTransposed && _engine is { InputGradientByWinograd: true };

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var y = Tensor.Ensure(ref _output, input.Rows, OutputShape);
        if (IsTransposed)
        {
            _engine!.Raise(input, y, Weight.Value, _bias?.Value);
            if (_epilogue is not null)
            {
                var positions = OutputShape[1] * OutputShape[2];
                _epilogue.Prepare(Filters, positions);
                fixed (float* output = y.Data)
                {
                    _epilogue.ApplyBatch(output, y.Rows, Filters, positions);
                }
            }
        }
        else
        {
            _engine!.Lower(input, y, Weight.Value, _bias?.Value, inference: !training, _epilogue);
        }

        _input = input;
        return y;
    }

    /// <summary>
    /// An inference pass whose outputs go through <paramref name="epilogue"/> (a following batch normalisation and/or ReLU)
    /// before they are returned: the same values as running those layers after this one.
    /// </summary>
    internal Tensor ForwardInference(Tensor input, ConvolutionEpilogue epilogue)
    {
        _epilogue = epilogue;
        try
        {
            return Forward(input, training: false);
        }
        finally
        {
            _epilogue = null;
        }
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var x = _input ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        ConvolutionSettings.CheckGradient(Name, outputGradient, x.Rows, OutputShape);
        var dx = Tensor.Ensure(ref _inputGradient, x.Rows, InputShape);
        var dWeight = Weight.Frozen ? null : Weight.Gradient;
        var dBias = _bias is null || _bias.Frozen ? null : _bias.Gradient;
        var dInput = ComputeInputGradient ? dx : null;
        if (IsTransposed)
        {
            _engine!.RaiseBackward(x, outputGradient, Weight.Value, dWeight, dBias, dInput);
        }
        else
        {
            _engine!.LowerBackward(x, outputGradient, Weight.Value, dWeight, dBias, dInput);
        }

        return dx;
    }
}
