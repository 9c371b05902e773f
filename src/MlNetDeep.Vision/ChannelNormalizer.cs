using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace MlNetDeep.Vision;

/// <summary>
/// Per-channel input normalisation for images: x ← (x − μ_c)/σ_c with μ and σ per channel fitted on the training
/// images (or given, e.g. the usual ImageNet statistics) and applied unchanged everywhere — a deterministic step.
/// For per-feature mean/variance use <see cref="FeatureNormalizer"/>.
/// </summary>
public sealed class ChannelNormalizer : ImageAugmentation
{
    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>Creates a normaliser with given statistics.</summary>
    /// <param name="mean">μ per channel.</param>
    /// <param name="standardDeviation">σ per channel; each must be positive.</param>
    public ChannelNormalizer(IReadOnlyList<float> mean, IReadOnlyList<float> standardDeviation)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(standardDeviation);
        if (mean.Count == 0 || mean.Count != standardDeviation.Count)
        {
            throw new ArgumentException("Give one mean and one standard deviation per channel.", nameof(standardDeviation));
        }

        if (standardDeviation.Any(s => !(s > 0)))
        {
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), "Standard deviations must be positive.");
        }

        _mean = [.. mean];
        _std = [.. standardDeviation];
    }

    /// <summary>μ per channel.</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>σ per channel (1 where a channel is constant).</summary>
    public IReadOnlyList<float> StandardDeviation => _std;

    /// <summary>Fits μ and σ per channel over all pixels of all images of <paramref name="images"/> <c>[N, C, H, W]</c>.</summary>
    public static ChannelNormalizer Fit(Tensor images)
    {
        var shape = ImageShape.Of(images);
        var sum = new double[shape.Channels];
        var squares = new double[shape.Channels];
        for (var r = 0; r < images.Rows; r++)
        {
            var row = images.Row(r);
            for (var c = 0; c < shape.Channels; c++)
            {
                foreach (var v in row.Slice(c * shape.PlaneLength, shape.PlaneLength))
                {
                    sum[c] += v;
                    squares[c] += (double)v * v;
                }
            }
        }

        var count = (double)images.Rows * shape.PlaneLength;
        var mean = new float[shape.Channels];
        var std = new float[shape.Channels];
        for (var c = 0; c < shape.Channels; c++)
        {
            var m = sum[c] / count;
            var variance = Math.Max(0, (squares[c] / count) - (m * m));
            mean[c] = (float)m;
            std[c] = variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f;
        }

        return new ChannelNormalizer(mean, std);
    }

    /// <inheritdoc />
    /// <remarks>The step changes values, not positions: the identity.</remarks>
    public override PixelMap? Map(ImageShape input, AugmentationContext context, bool training) => PixelMap.Identity(input.Height, input.Width);

    /// <inheritdoc />
    public override ImageShape OutputShape(ImageShape input) =>
        input.Channels == _mean.Length ? input : throw new ArgumentException($"The image has {input.Channels} channels; the normaliser has {_mean.Length}.", nameof(input));

    /// <summary>Normalises one image.</summary>
    public void Transform(ReadOnlySpan<float> source, Span<float> destination, ImageShape input)
    {
        CheckArguments(source, destination, input);
        for (var c = 0; c < input.Channels; c++)
        {
            var (m, inv) = (_mean[c], 1f / _std[c]);
            var to = destination.Slice(c * input.PlaneLength, input.PlaneLength);
            TensorPrimitives.Subtract(source.Slice(c * input.PlaneLength, input.PlaneLength), m, to);
            TensorPrimitives.Multiply(to, inv, to);
        }
    }

    /// <summary>Returns a normalised copy of <paramref name="images"/> <c>[N, C, H, W]</c>.</summary>
    public Tensor Transform(Tensor images) => Apply(images, 0, 0, training: false);

    /// <inheritdoc />
    public override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, AugmentationContext context, bool training) =>
        Transform(source, destination, input);
}
