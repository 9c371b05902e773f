using System.Globalization;
using MlNetDeep.Initializers;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers.LeNet;

/// <summary>
/// A valid, stride-1 convolution in which each output map sees only the input maps its row of a connection table
/// lists — LeNet-5's C3 (seed 000 §2.3, seed 002 §3): the first six maps read three adjacent S2 maps, the next six
/// four adjacent ones, the next three four non-adjacent ones, and the last all six, for
/// 6·(3·25+1) + 6·(4·25+1) + 3·(4·25+1) + 1·(6·25+1) = 1516 parameters. The asymmetry breaks the symmetry between
/// maps and keeps the connection count down.
/// </summary>
/// <remarks>
/// It runs as a full convolution whose filter bank holds the table's weights and zeros elsewhere (the way PyTorch users
/// write C3: a masked convolution), on <see cref="Conv2D"/>'s kernels; only the table's weights are parameters, and only
/// their share of the full weight gradient is kept.
/// </remarks>
public sealed class PartiallyConnectedConv2D : Layer
{
    /// <inheritdoc />
    internal override bool IsSampleIndependent => true;

    private readonly int[][] _table;
    private readonly Initializer _initializer;
    private int[] _offsets = [];
    private Parameter? _weight;
    private Parameter? _bias;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _input;
    private int _channels, _inH, _inW, _outH, _outW;
    private ConvolutionEngine? _engine;
    private Tensor? _dense;
    private Tensor? _denseGradient;

    /// <summary>Creates the layer.</summary>
    /// <param name="connectionTable">For each output map, the input maps it reads.</param>
    /// <param name="kernelSize">The square kernel's side.</param>
    /// <param name="initializer">Weight initialisation; fan-in is the map's own inputs × kernel area. Default: U(±1/√fan-in).</param>
    public PartiallyConnectedConv2D(int[][] connectionTable, int kernelSize = 5, Initializer? initializer = null)
    {
        ArgumentNullException.ThrowIfNull(connectionTable);
        if (connectionTable.Length == 0 || connectionTable.Any(row => row is null || row.Length == 0 || row.Distinct().Count() != row.Length || row.Any(i => i < 0)))
        {
            throw new ArgumentException("Every output map needs a non-empty list of distinct, non-negative input maps.", nameof(connectionTable));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(kernelSize, 1);
        _table = [.. connectionTable.Select(row => (int[])row.Clone())];
        KernelSize = kernelSize;
        _initializer = initializer ?? new FanInUniform();
    }

    /// <summary>The connection table of LeNet-5's C3 (LeCun et al. 1998, table I): 16 maps over 6 inputs.</summary>
    public static int[][] LeNet5Table =>
    [
        [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 0], [5, 0, 1],
        [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 0], [4, 5, 0, 1], [5, 0, 1, 2],
        [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5],
        [0, 1, 2, 3, 4, 5],
    ];

    /// <summary>The kernel side.</summary>
    public int KernelSize { get; }

    /// <summary>The connection table, one row of input maps per output map.</summary>
    public IReadOnlyList<IReadOnlyList<int>> ConnectionTable => _table;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => [Weight, _bias!];

    private Parameter Weight => _weight ?? throw new InvalidOperationException($"Layer '{Name}' is not built yet.");

    /// <inheritdoc />
    public override LayerDescription Describe() => new(
        "PartiallyConnectedConv2D",
        Name,
        new Dictionary<string, string>
        {
            ["kernelSize"] = LayerDescription.ToSetting(KernelSize),
            ["table"] = string.Join(";", _table.Select(row => string.Join(",", row.Select(i => i.ToString(CultureInfo.InvariantCulture))))),
        });

    /// <summary>Parses the <c>table</c> setting written by <see cref="Describe"/>.</summary>
    internal static int[][] ParseTable(string text) =>
        [.. text.Split(';').Select(row => row.Split(',').Select(v => int.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray())];

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        if (inputShape.Length != 3)
        {
            throw new ArgumentException($"Layer '{Name}' expects images [C, H, W]; got {Tensor.Format(inputShape)}.");
        }

        var channels = inputShape[0];
        if (_table.SelectMany(r => r).Any(i => i >= channels))
        {
            throw new ArgumentException($"Layer '{Name}': the connection table names input map {_table.SelectMany(r => r).Max()} but the input has {channels} maps.");
        }

        (_inH, _inW) = (inputShape[1], inputShape[2]);
        (_outH, _outW) = (_inH - KernelSize + 1, _inW - KernelSize + 1);
        if (_outH < 1 || _outW < 1)
        {
            throw new ArgumentException($"Layer '{Name}': a {KernelSize}x{KernelSize} kernel does not fit a {_inH}x{_inW} input.");
        }

        var area = KernelSize * KernelSize;
        _offsets = new int[_table.Length + 1];
        for (var o = 0; o < _table.Length; o++)
        {
            _offsets[o + 1] = _offsets[o] + (_table[o].Length * area);
        }

        _weight = new Parameter("weight", true, _offsets[^1]);
        _bias = new Parameter("bias", false, _table.Length);
        for (var o = 0; o < _table.Length; o++)
        {
            var fanIn = _table[o].Length * area;
            _initializer.Fill(_weight.Value.Span.Slice(_offsets[o], fanIn), fanIn, area, random);
            new FanInUniform().Fill(_bias.Value.Span.Slice(o, 1), fanIn, 1, random);
        }

        _channels = channels;
        _dense = new Tensor(_table.Length, channels, KernelSize, KernelSize);
        _denseGradient = new Tensor(_table.Length, channels, KernelSize, KernelSize);
        _engine = new ConvolutionEngine(new ConvolutionGeometry(
            channels, _inH, _inW, _table.Length, _outH, _outW, KernelSize, KernelSize, 1, 1, 0, 0, 1, 1, 1));
        return [_table.Length, _outH, _outW];
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var y = Tensor.Ensure(ref _output, input.Rows, OutputShape);
        ScatterWeights();
        _engine!.Lower(input, y, _dense!, _bias!.Value);
        _input = input;
        return y;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var input = _input ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        ConvolutionSettings.CheckGradient(Name, outputGradient, input.Rows, OutputShape);
        var dx = Tensor.Ensure(ref _inputGradient, input.Rows, InputShape);
        var weight = Weight;
        Tensor? denseGradient = null;
        if (!weight.Frozen)
        {
            denseGradient = _denseGradient!;
            denseGradient.Clear();
        }

        ScatterWeights();
        _engine!.LowerBackward(input, outputGradient, _dense!, denseGradient, _bias!.Frozen ? null : _bias.Gradient, ComputeInputGradient ? dx : null);
        if (denseGradient is not null)
        {
            // Only the table's connections are parameters: add their share of the full convolution's weight gradient.
            var dense = denseGradient.Span;
            var dw = weight.Gradient.Span;
            var area = KernelSize * KernelSize;
            for (var o = 0; o < _table.Length; o++)
            {
                for (var t = 0; t < _table[o].Length; t++)
                {
                    var from = dense.Slice(((o * _channels) + _table[o][t]) * area, area);
                    var to = dw.Slice(_offsets[o] + (t * area), area);
                    System.Numerics.Tensors.TensorPrimitives.Add(to, from, to);
                }
            }
        }

        return dx;
    }

    /// <summary>
    /// Writes the table's weights into the full [maps, input maps, k, k] filter bank whose other weights stay zero, so that
    /// the convolution engine's kernels (batched, vectorised, on every core) compute the partially connected convolution.
    /// </summary>
    private void ScatterWeights()
    {
        var w = Weight.Value.Span;
        var dense = _dense!.Span;
        var area = KernelSize * KernelSize;
        for (var o = 0; o < _table.Length; o++)
        {
            for (var t = 0; t < _table[o].Length; t++)
            {
                w.Slice(_offsets[o] + (t * area), area).CopyTo(dense.Slice(((o * _channels) + _table[o][t]) * area, area));
            }
        }
    }
}
