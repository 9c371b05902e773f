using System.Numerics.Tensors;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// Group normalisation (seed 004 §4.4.2, Wu &amp; He 2018): for each sample, the C channels are split into G groups of
/// C/G consecutive channels, and each group is normalised with the mean and biased variance of its (C/G)·H·W values,
/// then scaled and shifted per channel: y = γ_c·(x − μ_ng)/√(σ²_ng + ε) + β_c. Independent of the batch, so it
/// behaves the same in training and inference and works for batches of one. No running statistics.
/// </summary>
/// <remarks>
/// Accepts [N, C, H, W] batches and dense [N, C] batches (then each group holds C/G values). G = 1 is layer
/// normalisation over C·H·W; G = C is instance normalisation. γ starts at 1 and β at 0; neither is a weight for
/// L1/L2. Backward, per group with m = (C/G)·H·W and x̂ = (x − μ)/σ: ∂C/∂x = (1/(mσ))·(m·ĝ − Σĝ − x̂·Σĝ·x̂), ĝ = γ_c·dy.
/// </remarks>
public sealed class GroupNormalization : Layer
{
    private readonly LayerJob _job;
    private Parameter? _gamma;
    private Parameter? _beta;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _input;
    private Tensor? _outputGradient;
    private int _channels;
    private int _inner;
    private double[] _mean = [];
    private double[] _invStd = [];
    private double[] _partials = [];

    /// <summary>Creates a group-normalisation layer.</summary>
    /// <param name="groups">The number of groups G; it must divide the number of channels.</param>
    /// <param name="epsilon">ε added to the variance; positive.</param>
    public GroupNormalization(int groups, float epsilon = 1e-5f)
    {
        if (groups <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(groups), groups, "Group normalisation needs at least one group.");
        }

        if (!(epsilon > 0) || !float.IsFinite(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be positive and finite.");
        }

        Groups = groups;
        Epsilon = epsilon;
        _job = new LayerJob(RunItem);
    }

    /// <summary>The number of groups G.</summary>
    public int Groups { get; }

    /// <summary>ε added to the variance.</summary>
    public float Epsilon { get; }

    /// <summary>The per-channel scale γ (starts at 1).</summary>
    public Parameter Gamma => _gamma ?? throw new InvalidOperationException($"Layer '{Name}' is not built yet.");

    /// <summary>The per-channel shift β (starts at 0).</summary>
    public Parameter Beta => _beta ?? throw new InvalidOperationException($"Layer '{Name}' is not built yet.");

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => [Gamma, Beta];

    /// <inheritdoc />
    public override LayerDescription Describe() => new(
        "GroupNormalization",
        Name,
        [new("groups", LayerDescription.ToSetting(Groups)), new("epsilon", LayerDescription.ToSetting(Epsilon))]);

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        if (inputShape.Length is not (1 or 3))
        {
            throw new ArgumentException(
                $"Layer '{Name}' normalises images [C, H, W] or features [C] (batches [N, C, H, W] or [N, C]) but got the per-sample shape {Tensor.Format(inputShape)}.",
                nameof(inputShape));
        }

        _channels = inputShape[0];
        if (_channels % Groups != 0)
        {
            throw new ArgumentException(
                $"Layer '{Name}': {Groups} groups do not divide the {_channels} channels of the input {Tensor.Format(inputShape)}.",
                nameof(inputShape));
        }

        _inner = Tensor.ProductOf(inputShape) / _channels;
        if (_channels / Groups * _inner == 1)
        {
            // A group of one value is its own mean: the output would be β whatever the input.
            throw new ArgumentException(
                $"Layer '{Name}': {Groups} groups of the input {Tensor.Format(inputShape)} hold one value each, which normalises every value to 0 " +
                "(the output would be β whatever the input); use fewer groups (1 is layer normalisation).",
                nameof(inputShape));
        }

        _gamma = new Parameter("gamma", false, _channels);
        _gamma.Value.Fill(1f);
        _beta = new Parameter("beta", false, _channels);
        return inputShape;
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var n = input.Rows;
        var y = Tensor.Ensure(ref _output, n, InputShape);
        _input = input;
        if (_mean.Length < n * Groups)
        {
            _mean = new double[n * Groups];
            _invStd = new double[n * Groups];
        }

        _job.Run(0, n * Groups, input.Length);
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
        if (_partials.Length < 2 * n * _channels)
        {
            _partials = new double[2 * n * _channels];
        }

        _job.Run(1, n * Groups, x.Length);

        var dGamma = Gamma.Gradient.Span;
        var dBeta = Beta.Gradient.Span;
        for (var i = 0; i < n * _channels; i++)
        {
            var c = i % _channels;
            if (!Gamma.Frozen)
            {
                dGamma[c] += (float)_partials[2 * i];
            }

            if (!Beta.Frozen)
            {
                dBeta[c] += (float)_partials[(2 * i) + 1];
            }
        }

        return dx;
    }

    /// <summary>One group of one sample: index n·G + g.</summary>
    private void RunItem(int phase, int item)
    {
        var perGroup = _channels / Groups;
        var length = perGroup * _inner;
        var offset = item * length;
        var firstChannel = (item % Groups) * perGroup;
        var x = _input!.Span.Slice(offset, length);
        var gamma = Gamma.Value.Span;
        if (phase == 0)
        {
            var mean = TensorPrimitives.Sum<float>(x) / (double)length;
            var variance = LayerKernels.SumSquaredDeviations(x, (float)mean) / length;
            var invStd = 1.0 / Math.Sqrt(variance + Epsilon);
            _mean[item] = mean;
            _invStd[item] = invStd;
            var y = _output!.Span.Slice(offset, length);
            var beta = Beta.Value.Span;
            for (var j = 0; j < perGroup; j++)
            {
                var c = firstChannel + j;
                var range = new Range(j * _inner, (j + 1) * _inner);
                LayerKernels.ScaleShift(x[range], (float)mean, (float)(gamma[c] * invStd), beta[c], y[range]);
            }

            return;
        }

        var mu = (float)_mean[item];
        var s = _invStd[item];
        var dy = _outputGradient!.Span.Slice(offset, length);
        var sample = item / Groups;
        double sumG = 0, sumGXhat = 0;
        for (var j = 0; j < perGroup; j++)
        {
            var c = firstChannel + j;
            var range = new Range(j * _inner, (j + 1) * _inner);
            double sumDy = TensorPrimitives.Sum<float>(dy[range]);
            var sumDyXhat = LayerKernels.SumProductDeviations(dy[range], x[range], mu) * s;
            var slot = 2 * ((sample * _channels) + c);
            _partials[slot] = sumDyXhat;
            _partials[slot + 1] = sumDy;
            sumG += gamma[c] * sumDy;
            sumGXhat += gamma[c] * sumDyXhat;
        }

        if (!ComputeInputGradient)
        {
            return;
        }

        // dx = dy·γ_c·σ⁻¹ + (x − μ)·p + q with p = −σ⁻²·Σĝx̂/m and q = −σ⁻¹·Σĝ/m.
        var dx = _inputGradient!.Span.Slice(offset, length);
        var p = (float)(-s * s * sumGXhat / length);
        var q = (float)(-s * sumG / length);
        for (var j = 0; j < perGroup; j++)
        {
            var c = firstChannel + j;
            var range = new Range(j * _inner, (j + 1) * _inner);
            LayerKernels.Affine2(dy[range], (float)(gamma[c] * s), x[range], mu, p, q, dx[range]);
        }
    }
}
