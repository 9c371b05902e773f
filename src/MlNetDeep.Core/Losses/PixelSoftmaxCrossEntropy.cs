using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Losses;

/// <summary>
/// Softmax cross-entropy at every pixel (seed 004 §5.1: the network's K output channels score the K classes of each
/// pixel): predictions [N, K, H, W] of logits, targets [N, H, W] (or [N, 1, H, W]) of class labels 0..K−1 stored as
/// floats. C = Σ_p w_{y_p}·(−ln softmax(z_p)_{y_p}) / Σ_p w_{y_p} over the pixels p of the batch whose label is not
/// <see cref="IgnoreLabel"/> (PyTorch's <c>cross_entropy(weight=w, ignore_index=i)</c> with mean reduction), and
/// ∂C/∂z_p = w_{y_p}·(a_p − onehot(y_p)) / Σ w.
/// </summary>
/// <remarks>
/// Geometric augmentation moves the targets with the pixels (<see cref="SpatialTargets"/>): pixels that come from outside
/// the image get the ignore label and so do not count. A batch in which every pixel is ignored costs 0 with a zero gradient.
/// </remarks>
public sealed class PixelSoftmaxCrossEntropy : Loss
{
    private readonly float[]? _classWeights;
    private readonly MaskTargets _masks;

    /// <summary>Creates the loss.</summary>
    /// <param name="classWeights">A weight ≥ 0 per class (for rare classes), or null for 1 each.</param>
    /// <param name="ignoreLabel">The label of pixels that are not scored (unlabelled, or moved in from outside the image); negative by default.</param>
    public PixelSoftmaxCrossEntropy(IReadOnlyList<float>? classWeights = null, int ignoreLabel = -1)
    {
        if (classWeights is not null)
        {
            if (classWeights.Count == 0 || classWeights.Any(w => !(w >= 0 && float.IsFinite(w))))
            {
                throw new ArgumentException("Class weights must be one finite value ≥ 0 per class.", nameof(classWeights));
            }

            _classWeights = [.. classWeights];
        }

        IgnoreLabel = ignoreLabel;
        _masks = new MaskTargets(ignoreLabel);
    }

    /// <summary>The label of pixels that do not count.</summary>
    public int IgnoreLabel { get; }

    /// <summary>The class weights, or null when every class weighs 1.</summary>
    public IReadOnlyList<float>? ClassWeights => _classWeights;

    /// <inheritdoc />
    /// <remarks>Masks: nearest-neighbour resampling, and pixels from outside the image get <see cref="IgnoreLabel"/>.</remarks>
    public override SpatialTargets? SpatialTargets => _masks;

    /// <inheritdoc />
    public override string? Validate(Tensor target, int outputs)
    {
        var pixels = target.RowSize;
        if (pixels == 0 || outputs % pixels != 0)
        {
            return $"targets have {pixels} values a row, which does not divide the {outputs} outputs [K, H, W] into H·W pixels of K scores";
        }

        var classes = outputs / pixels;
        if (_classWeights is not null && _classWeights.Length != classes)
        {
            return $"{_classWeights.Length} class weights for {classes} classes";
        }

        var y = target.Span;
        for (var i = 0; i < y.Length; i++)
        {
            if (y[i] != IgnoreLabel && (!(y[i] >= 0 && y[i] < classes) || y[i] != MathF.Floor(y[i])))
            {
                return $"label {y[i]} at row {i / pixels}, pixel {i % pixels} is out of range; expected a class index in 0..{classes - 1} or the ignore label {IgnoreLabel}";
            }
        }

        return null;
    }

    /// <inheritdoc />
    protected override double OnCompute(Tensor prediction, Tensor target, Tensor? gradient)
    {
        var n = prediction.Rows;
        var pixels = target.RowSize;
        if (pixels == 0 || prediction.RowSize % pixels != 0)
        {
            throw new ArgumentException(
                $"{nameof(PixelSoftmaxCrossEntropy)}: targets of shape {Tensor.Format(target.Shape)} do not give one label per pixel of predictions of shape {Tensor.Format(prediction.Shape)}.",
                nameof(target));
        }

        var k = prediction.RowSize / pixels;
        if (_classWeights is not null && _classWeights.Length != k)
        {
            throw new ArgumentException($"{nameof(PixelSoftmaxCrossEntropy)}: {_classWeights.Length} class weights for predictions of {k} classes.", nameof(prediction));
        }

        // Scratch for one pixel's logits and probabilities (K is a handful of classes).
        Span<float> z = k <= 256 ? stackalloc float[k] : new float[k];
        Span<float> a = k <= 256 ? stackalloc float[k] : new float[k];
        double sum = 0, total = 0;
        for (var r = 0; r < n; r++)
        {
            var logits = prediction.Data.AsSpan(r * k * pixels, k * pixels);
            var labels = target.Data.AsSpan(r * pixels, pixels);
            for (var p = 0; p < pixels; p++)
            {
                var label = labels[p];
                if (label == IgnoreLabel)
                {
                    continue;
                }

                var c = (int)label;
                if ((uint)c >= (uint)k || c != label)
                {
                    throw new ArgumentException(
                        $"{nameof(PixelSoftmaxCrossEntropy)}: label {label} at row {r}, pixel {p} is out of range; expected a class index in 0..{k - 1} or the ignore label {IgnoreLabel}.",
                        nameof(target));
                }

                var w = _classWeights is null ? 1f : _classWeights[c];
                for (var j = 0; j < k; j++)
                {
                    z[j] = logits[(j * pixels) + p];
                }

                var (max, logSum) = VectorOps.Softmax(z, a);
                sum += w * (((double)max - z[c]) + logSum);
                total += w;
            }
        }

        if (gradient is not null)
        {
            FillGradient(prediction, target, gradient, k, pixels, total, z, a);
        }

        return total == 0 ? 0 : sum / total;
    }

    private void FillGradient(Tensor prediction, Tensor target, Tensor gradient, int k, int pixels, double total, Span<float> z, Span<float> a)
    {
        gradient.Clear();
        if (total == 0)
        {
            return;
        }

        for (var r = 0; r < prediction.Rows; r++)
        {
            var logits = prediction.Data.AsSpan(r * k * pixels, k * pixels);
            var g = gradient.Data.AsSpan(r * k * pixels, k * pixels);
            var labels = target.Data.AsSpan(r * pixels, pixels);
            for (var p = 0; p < pixels; p++)
            {
                var label = labels[p];
                if (label == IgnoreLabel)
                {
                    continue;
                }

                var c = (int)label;
                var scale = (float)((_classWeights is null ? 1f : _classWeights[c]) / total);
                for (var j = 0; j < k; j++)
                {
                    z[j] = logits[(j * pixels) + p];
                }

                VectorOps.Softmax(z, a);
                a[c] -= 1;
                for (var j = 0; j < k; j++)
                {
                    g[(j * pixels) + p] = a[j] * scale;
                }
            }
        }
    }
}
