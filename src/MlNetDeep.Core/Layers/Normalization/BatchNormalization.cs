using System.Numerics.Tensors;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// Batch normalisation (seed 000 §1.11, algorithm 1.7; seed 004 §4.4.1): z̃ = γ·(z − μ)/√(σ² + ε) + β, per
/// feature of a dense input [N, F] and per channel of an image batch [N, C, H, W] (statistics over N·H·W).
/// γ and β are trained (<see cref="Parameter.IsWeight"/> false: not L1/L2-regularised); the running mean and
/// variance are saved buffers (<c>running_mean</c>, <c>running_var</c>), never optimised.
/// </summary>
/// <remarks>
/// <para>
/// Training: μ and the biased σ² = (1/m)Σ(z − μ)² of the mini-batch (m = N, or N·H·W) normalise the batch, and the
/// running averages are updated as in the seed, μ̄ := β₁μ̄ + (1 − β₁)μ and σ̄² := β₁σ̄² + (1 − β₁)σ²_unbiased, with
/// β₁ = <see cref="Momentum"/>. As PyTorch does, the running variance takes the unbiased estimate m/(m − 1)·σ²
/// (m ≥ 2). The training-mode output depends only on the batch, never on the running averages, so repeated training
/// forwards (a gradient check) see the same function.
/// </para>
/// <para>
/// A training batch with a single value per channel (one row of a dense input, or one image of 1×1 maps) throws, as in
/// PyTorch: its mean is the value itself, so the output would be β whatever the input. <see cref="Training.Trainer"/>
/// leaves out a last partial mini-batch of one row for this reason.
/// </para>
/// <para>
/// <see cref="Momentum"/> is the seed's β₁, the weight of the OLD value (default 0.9). PyTorch's <c>momentum</c>
/// is the weight of the NEW value: PyTorch's default 0.1 is this layer's 0.9. Keras's <c>momentum=0.99</c> is this
/// layer's 0.99. The seed starts both averages at 0; this layer starts them as PyTorch and Keras do, mean 0 and
/// variance 1, so that an untrained layer is close to the identity at inference instead of dividing by √ε.
/// </para>
/// <para>
/// Inference: the running averages replace the batch statistics, so the layer is a fixed per-channel affine map.
/// Backward (training, the compact form): with x̂ = (z − μ)/√(σ² + ε), ∂C/∂β += Σ dy, ∂C/∂γ += Σ dy·x̂ and
/// ∂C/∂z = γ/(m√(σ² + ε))·(m·dy − Σdy − x̂·Σ dy·x̂). Backward (inference): ∂C/∂z = γ·dy/√(σ̄² + ε).
/// </para>
/// </remarks>
public sealed class BatchNormalization : Layer
{
    private const int ForwardSums = 0;
    private const int ForwardSquares = 1;
    private const int ForwardApply = 2;
    private const int BackwardSums = 3;
    private const int BackwardApply = 4;
    private const int ForwardApplyPlanes = 5;

    /// <summary>From this many values a channel holds per sample (an image plane), the forward's y = (z − μ)·a + β runs plane by plane with scalars.</summary>
    private const int PlaneApplyMinimum = 16;

    /// <summary>Planes per item of the plane-by-plane forward (cut by the batch's planes only, so the split never depends on the cores).</summary>
    private const int PlanesPerItem = 8;

    private readonly LayerJob _job;
    private Parameter? _gamma;
    private Parameter? _beta;
    private Tensor? _runningMean;
    private Tensor? _runningVar;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _input;
    private Tensor? _outputGradient;
    private bool _trainingForward;
    private int _channels;
    private int _inner;
    private int _chunk;
    private double[] _mean = [];
    private double[] _invStd = [];
    private float[] _planeMean = [];
    private float[] _planeScale = [];

    // Whether _rowMean holds _mean spread over each channel's values (the plane-by-plane forward does not need it; the
    // backward does).
    private bool _meanExpanded;
    private float[] _rowMean = [];
    private float[] _rowA = [];
    private float[] _rowB = [];
    private float[] _rowC = [];
    private float[] _colSum = [];
    private float[] _colSq = [];
    private int _rowSize;

    /// <summary>Creates a batch-normalisation layer.</summary>
    /// <param name="momentum">β₁ of the running averages, the weight of the old value (PyTorch's 0.1 is 0.9 here); in [0, 1].</param>
    /// <param name="epsilon">ε added to the variance; positive.</param>
    public BatchNormalization(float momentum = 0.9f, float epsilon = 1e-5f)
    {
        if (!(momentum >= 0 && momentum <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "The running-average momentum β₁ must be in [0, 1] (0.9 keeps 90% of the old value).");
        }

        if (!(epsilon > 0) || !float.IsFinite(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be positive and finite.");
        }

        Momentum = momentum;
        Epsilon = epsilon;
        _job = new LayerJob(RunItem);
    }

    /// <summary>β₁ of the running averages: running := β₁·running + (1 − β₁)·batch.</summary>
    public float Momentum { get; }

    /// <summary>ε added to the variance.</summary>
    public float Epsilon { get; }

    /// <summary>The scale γ, one per feature or channel (starts at 1).</summary>
    public Parameter Gamma => _gamma ?? throw NotBuiltError();

    /// <summary>The shift β, one per feature or channel (starts at 0).</summary>
    public Parameter Beta => _beta ?? throw NotBuiltError();

    /// <summary>The running mean μ̄ used at inference, one per feature or channel.</summary>
    public Tensor RunningMean => _runningMean ?? throw NotBuiltError();

    /// <summary>The running variance σ̄² used at inference, one per feature or channel.</summary>
    public Tensor RunningVariance => _runningVar ?? throw NotBuiltError();

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => [Gamma, Beta];

    /// <inheritdoc />
    public override IReadOnlyList<(string Name, Tensor Value)> Buffers => [("running_mean", RunningMean), ("running_var", RunningVariance)];

    /// <inheritdoc />
    public override LayerDescription Describe() => new(
        "BatchNormalization",
        Name,
        [new("momentum", LayerDescription.ToSetting(Momentum)), new("epsilon", LayerDescription.ToSetting(Epsilon))]);

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        if (inputShape.Length is not (1 or 3))
        {
            throw new ArgumentException(
                $"Layer '{Name}' normalises features [F] or images [C, H, W] (batches [N, F] or [N, C, H, W]) but got the per-sample shape {Tensor.Format(inputShape)}.",
                nameof(inputShape));
        }

        _channels = inputShape[0];
        var rowSize = Tensor.ProductOf(inputShape);
        _inner = rowSize / _channels;
        _gamma = new Parameter("gamma", false, _channels);
        _gamma.Value.Fill(1f);
        _beta = new Parameter("beta", false, _channels);
        _runningMean = new Tensor(_channels);
        _runningVar = new Tensor(_channels);
        _runningVar.Fill(1f);
        _mean = new double[_channels];
        _invStd = new double[_channels];
        _planeMean = new float[_channels];
        _planeScale = new float[_channels];
        _rowSize = rowSize;
        return inputShape;
    }

    /// <summary>
    /// Allocates the per-sample scratch rows on first use, not in <see cref="OnBuild"/>: building then takes only what the
    /// parameters and running statistics need, which is what a network file's loader can check against the values it holds.
    /// </summary>
    private void EnsureScratch()
    {
        if (_rowMean.Length == _rowSize)
        {
            return;
        }

        _rowMean = new float[_rowSize];
        _rowA = new float[_rowSize];
        _rowB = new float[_rowSize];
        _rowC = new float[_rowSize];
        _colSum = new float[_rowSize];
        _colSq = new float[_rowSize];
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        EnsureScratch();
        var n = input.Rows;
        if (training && (long)n * _inner == 1)
        {
            // One value per channel is its own mean: every output would be β and every gradient 0 (PyTorch refuses too).
            throw new ArgumentException(
                $"Layer '{Name}' got a training batch {Tensor.Format(input.Shape)} with one value per channel, which batch normalisation cannot normalise " +
                "(each value is its own mean, so the output would be β whatever the input). Train with mini-batches of at least 2 rows " +
                "(Trainer leaves out a last partial batch of one row), use GroupNormalization (per sample), or call Forward with training: false.",
                nameof(input));
        }

        var y = Tensor.Ensure(ref _output, n, InputShape);
        _input = input;
        _trainingForward = training;
        var chunks = Chunks(input.Length);
        var gamma = Gamma.Value.Span;
        var beta = Beta.Value.Span;
        var runningMean = RunningMean.Span;
        var runningVar = RunningVariance.Span;
        if (training)
        {
            long m = (long)n * _inner;
            _job.Run(ForwardSums, chunks, input.Length);
            for (var c = 0; c < _channels; c++)
            {
                _mean[c] = TensorPrimitives.Sum<float>(_colSum.AsSpan(c * _inner, _inner)) / (double)m;
            }

            Expand(_mean, _rowMean);
            _meanExpanded = true;
            _job.Run(ForwardSquares, chunks, input.Length);
            for (var c = 0; c < _channels; c++)
            {
                var variance = TensorPrimitives.Sum<float>(_colSq.AsSpan(c * _inner, _inner)) / (double)m;
                _invStd[c] = 1.0 / Math.Sqrt(variance + Epsilon);
                runningMean[c] = (float)((Momentum * runningMean[c]) + ((1.0 - Momentum) * _mean[c]));
                if (m > 1)
                {
                    runningVar[c] = (float)((Momentum * runningVar[c]) + ((1.0 - Momentum) * variance * m / (m - 1)));
                }
            }
        }
        else
        {
            for (var c = 0; c < _channels; c++)
            {
                _mean[c] = runningMean[c];
                _invStd[c] = InverseDeviation(runningVar[c]);
            }

            _meanExpanded = false;
        }

        // y = (z − μ)·a + β with a = γ/√(σ² + ε).
        if (_inner >= PlaneApplyMinimum)
        {
            // Image planes: each plane is one channel's, so μ, a and β are scalars there; nothing is spread out per value
            // (the same bits as the per-value form below: the same float μ, a and β, the same subtract and fused multiply-add).
            for (var c = 0; c < _channels; c++)
            {
                _planeMean[c] = (float)_mean[c];
                _planeScale[c] = (float)(gamma[c] * _invStd[c]);
            }

            var planes = n * _channels;
            _job.Run(ForwardApplyPlanes, (planes + PlanesPerItem - 1) / PlanesPerItem, input.Length);
            return y;
        }

        if (!_meanExpanded)
        {
            Expand(_mean, _rowMean);
            _meanExpanded = true;
        }

        for (var c = 0; c < _channels; c++)
        {
            _rowA.AsSpan(c * _inner, _inner).Fill((float)(gamma[c] * _invStd[c]));
            _rowB.AsSpan(c * _inner, _inner).Fill(beta[c]);
        }

        _job.Run(ForwardApply, chunks, input.Length);
        return y;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var x = _input ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        if (outputGradient.Length != x.Length)
        {
            throw new ArgumentException(
                $"Layer '{Name}': the output gradient has shape {Tensor.Format(outputGradient.Shape)}; expected {Tensor.Format(_output!.Shape)}.",
                nameof(outputGradient));
        }

        var n = x.Rows;
        var dx = Tensor.Ensure(ref _inputGradient, n, InputShape);
        _outputGradient = outputGradient;
        if (!_meanExpanded)
        {
            Expand(_mean, _rowMean);
            _meanExpanded = true;
        }

        var chunks = Chunks(x.Length);
        _job.Run(BackwardSums, chunks, x.Length);

        var gamma = Gamma.Value.Span;
        var dGamma = Gamma.Gradient.Span;
        var dBeta = Beta.Gradient.Span;
        double m = (double)n * _inner;
        for (var c = 0; c < _channels; c++)
        {
            double sumDy = TensorPrimitives.Sum<float>(_colSum.AsSpan(c * _inner, _inner));
            var sumDyXhat = TensorPrimitives.Sum<float>(_colSq.AsSpan(c * _inner, _inner)) * _invStd[c];
            if (!Beta.Frozen)
            {
                dBeta[c] += (float)sumDy;
            }

            if (!Gamma.Frozen)
            {
                dGamma[c] += (float)sumDyXhat;
            }

            // dx = dy·k + (z − μ)·p + q: k = γ/√(σ² + ε); in training p = −k·Σdy·x̂/(m√(σ² + ε)) and q = −k·Σdy/m.
            var k = gamma[c] * _invStd[c];
            double p = 0, q = 0;
            if (_trainingForward)
            {
                p = -k * _invStd[c] * sumDyXhat / m;
                q = -k * sumDy / m;
            }

            _rowA.AsSpan(c * _inner, _inner).Fill((float)k);
            _rowB.AsSpan(c * _inner, _inner).Fill((float)p);
            _rowC.AsSpan(c * _inner, _inner).Fill((float)q);
        }

        if (ComputeInputGradient)
        {
            _job.Run(BackwardApply, chunks, x.Length);
        }

        return dx;
    }

    /// <summary>y = (z − μ)·a + β on planes [block·<see cref="PlanesPerItem"/>, …) of the batch, μ, a and β the plane's channel's.</summary>
    private void ApplyPlanes(int block)
    {
        var x = _input!.Span;
        var y = _output!.Span;
        var beta = Beta.Value.Span;
        var end = Math.Min((block + 1) * PlanesPerItem, _input.Rows * _channels);
        for (var plane = block * PlanesPerItem; plane < end; plane++)
        {
            var c = plane % _channels;
            var offset = plane * _inner;
            LayerKernels.ScaleShift(x.Slice(offset, _inner), _planeMean[c], _planeScale[c], beta[c], y.Slice(offset, _inner));
        }
    }

    /// <summary>
    /// The inference pass's per-channel μ̄, a = γ/√(σ̄² + ε) and β as floats, the same values as this layer's own inference
    /// forward uses (a convolution applies them to its outputs; see <see cref="ConvolutionEpilogue"/>).
    /// </summary>
    internal void InferenceAffine(Span<float> mean, Span<float> scale, Span<float> shift)
    {
        var gamma = Gamma.Value.Span;
        var beta = Beta.Value.Span;
        var runningMean = RunningMean.Span;
        var runningVar = RunningVariance.Span;
        for (var c = 0; c < _channels; c++)
        {
            mean[c] = (float)(double)runningMean[c];
            scale[c] = (float)(gamma[c] * InverseDeviation(runningVar[c]));
            shift[c] = beta[c];
        }
    }

    /// <summary>1/√(σ² + ε), in double as the forward pass takes it.</summary>
    private double InverseDeviation(float variance) => 1.0 / Math.Sqrt((double)variance + Epsilon);

    private static InvalidOperationException NotBuiltError() => new("The batch-normalisation layer is not built yet.");

    private void Expand(double[] perChannel, float[] row)
    {
        for (var c = 0; c < _channels; c++)
        {
            row.AsSpan(c * _inner, _inner).Fill((float)perChannel[c]);
        }
    }

    /// <summary>Splits the columns of a row into blocks for the passes (several only for large batches).</summary>
    private int Chunks(int length)
    {
        var rowSize = _rowMean.Length;
        var blocks = length >= LayerJob.ParallelThreshold ? Math.Clamp(rowSize / 256, 1, 8) : 1;
        _chunk = (((rowSize + blocks - 1) / blocks) + 15) & ~15;
        return (rowSize + _chunk - 1) / _chunk;
    }

    /// <summary>One column block of one pass, over every row of the batch; or, for <see cref="ForwardApplyPlanes"/>, one block of planes.</summary>
    private void RunItem(int phase, int block)
    {
        if (phase == ForwardApplyPlanes)
        {
            ApplyPlanes(block);
            return;
        }

        var rowSize = _rowMean.Length;
        var start = block * _chunk;
        var width = Math.Min(_chunk, rowSize - start);
        var x = _input!.Span;
        var rows = _input.Rows;
        var mean = _rowMean.AsSpan(start, width);
        switch (phase)
        {
            case ForwardSums:
            {
                var sum = _colSum.AsSpan(start, width);
                sum.Clear();
                for (var r = 0; r < rows; r++)
                {
                    TensorPrimitives.Add(sum, x.Slice((r * rowSize) + start, width), sum);
                }

                break;
            }

            case ForwardSquares:
            {
                var squares = _colSq.AsSpan(start, width);
                squares.Clear();
                for (var r = 0; r < rows; r++)
                {
                    LayerKernels.AccumulateSquaredDeviations(x.Slice((r * rowSize) + start, width), mean, squares);
                }

                break;
            }

            case ForwardApply:
            {
                var y = _output!.Span;
                var a = _rowA.AsSpan(start, width);
                var b = _rowB.AsSpan(start, width);
                for (var r = 0; r < rows; r++)
                {
                    var offset = (r * rowSize) + start;
                    var o = y.Slice(offset, width);
                    TensorPrimitives.Subtract(x.Slice(offset, width), mean, o);
                    TensorPrimitives.FusedMultiplyAdd(o, a, b, o);
                }

                break;
            }

            case BackwardSums:
            {
                var dy = _outputGradient!.Span;
                var sum = _colSum.AsSpan(start, width);
                var product = _colSq.AsSpan(start, width);
                sum.Clear();
                product.Clear();
                for (var r = 0; r < rows; r++)
                {
                    var offset = (r * rowSize) + start;
                    LayerKernels.AccumulateGradientSums(dy.Slice(offset, width), x.Slice(offset, width), mean, sum, product);
                }

                break;
            }

            default:
            {
                var dy = _outputGradient!.Span;
                var dx = _inputGradient!.Span;
                var k = _rowA.AsSpan(start, width);
                var p = _rowB.AsSpan(start, width);
                var q = _rowC.AsSpan(start, width);
                for (var r = 0; r < rows; r++)
                {
                    var offset = (r * rowSize) + start;
                    var d = dx.Slice(offset, width);
                    TensorPrimitives.Subtract(x.Slice(offset, width), mean, d);
                    TensorPrimitives.FusedMultiplyAdd(d, p, q, d);
                    TensorPrimitives.FusedMultiplyAdd(dy.Slice(offset, width), k, d, d);
                }

                break;
            }
        }
    }
}
