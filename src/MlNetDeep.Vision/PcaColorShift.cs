using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using MathNet.Numerics.LinearAlgebra;

namespace MlNetDeep.Vision;

/// <summary>
/// AlexNet's PCA colour augmentation (seed 000 §2.4): with p_j, λ_j the eigenvectors and eigenvalues of the 3 × 3
/// covariance of the training images' RGB pixels, each image gets offset_i = Σ_j p_ij·α_j·λ_j, α_j ~ N(0, σ), added
/// to every pixel of channel i. One α per image, fresh each epoch; the identity when scoring.
/// </summary>
public sealed class PcaColorShift : RandomImageAugmentation
{
    private readonly double[] _eigenvalues;
    private readonly double[,] _eigenvectors;

    /// <summary>Creates the step from a known decomposition.</summary>
    /// <param name="eigenvalues">λ_j, three values (largest first by convention).</param>
    /// <param name="eigenvectors">A 3 × 3 matrix whose column j is p_j (row i = channel R, G, B).</param>
    /// <param name="sigma">The standard deviation of α (AlexNet: 0.1).</param>
    public PcaColorShift(IReadOnlyList<double> eigenvalues, double[,] eigenvectors, double sigma = 0.1)
    {
        ArgumentNullException.ThrowIfNull(eigenvalues);
        ArgumentNullException.ThrowIfNull(eigenvectors);
        if (eigenvalues.Count != 3 || eigenvectors.GetLength(0) != 3 || eigenvectors.GetLength(1) != 3)
        {
            throw new ArgumentException("PCA colour shift needs 3 eigenvalues and a 3 × 3 eigenvector matrix.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(sigma);
        _eigenvalues = [.. eigenvalues];
        _eigenvectors = (double[,])eigenvectors.Clone();
        Sigma = sigma;
    }

    /// <summary>λ_j, largest first.</summary>
    public IReadOnlyList<double> Eigenvalues => _eigenvalues;

    /// <summary>The standard deviation of α.</summary>
    public double Sigma { get; }

    /// <summary>Component <paramref name="channel"/> of eigenvector <paramref name="index"/> (p_ij with i = channel, j = index).</summary>
    public double Eigenvector(int channel, int index) => _eigenvectors[channel, index];

    /// <summary>A copy of the eigenvectors: column j is the eigenvector of eigenvalue j, row i its channel-i entry.</summary>
    public double[,] EigenvectorMatrix() => (double[,])_eigenvectors.Clone();

    /// <summary>
    /// The ImageNet decomposition used by fb.resnet.torch for pixels in [0, 1]: λ = (0.2175, 0.0188, 0.0045) and its
    /// published eigenvectors. For pixels in [0, 255] pass <paramref name="pixelScale"/> = 255 (λ scaled by it).
    /// </summary>
    public static PcaColorShift ImageNet(double sigma = 0.1, double pixelScale = 1) => new(
        [0.2175 * pixelScale, 0.0188 * pixelScale, 0.0045 * pixelScale],
        new[,]
        {
            { -0.5675, 0.7192, 0.4009 },
            { -0.5808, -0.0045, -0.8140 },
            { -0.5836, -0.6948, 0.4203 },
        },
        sigma);

    /// <summary>Fits the decomposition on the pixels of training images <c>[N, 3, H, W]</c>.</summary>
    public static PcaColorShift Fit(Tensor images, double sigma = 0.1)
    {
        var shape = ImageShape.Of(images);
        var moments = new double[10];
        for (var r = 0; r < images.Rows; r++)
        {
            Accumulate(images.Row(r), shape.Channels, moments);
        }

        return FromMoments(moments, sigma);
    }

    /// <summary>Fits the decomposition on the pixels of training images, each CHW with 3 channels (sizes may differ).</summary>
    public static PcaColorShift Fit(IEnumerable<float[]> images, double sigma = 0.1)
    {
        ArgumentNullException.ThrowIfNull(images);
        var moments = new double[10];
        foreach (var image in images)
        {
            Accumulate(image, 3, moments);
        }

        return FromMoments(moments, sigma);
    }

    /// <summary>The RGB offset this step adds for <paramref name="context"/> (zeros when not random).</summary>
    public float[] Offset(AugmentationContext context, bool training)
    {
        var offset = new float[3];
        if (IsRandom(training))
        {
            Draw(CreateRandom(context), offset);
        }

        return offset;
    }

    /// <inheritdoc />
    public override ImageShape OutputShape(ImageShape input) =>
        input.Channels == 3 ? input : throw new ArgumentException($"PCA colour shift needs 3 channels; the image has {input.Channels}.", nameof(input));

    /// <inheritdoc />
    /// <remarks>The step changes values, not positions: the identity.</remarks>
    protected override PixelMap? MapRandom(ImageShape input, ImageShape output, RandomSource random) => PixelMap.Identity(input.Height, input.Width);

    /// <inheritdoc />
    protected override void ApplyRandom(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, RandomSource random)
    {
        Span<float> offset = stackalloc float[3];
        Draw(random, offset);
        for (var c = 0; c < 3; c++)
        {
            TensorPrimitives.Add(source.Slice(c * input.PlaneLength, input.PlaneLength), offset[c], destination.Slice(c * input.PlaneLength, input.PlaneLength));
        }
    }

    /// <summary>Writes the RGB offset for the generator's next draws into <paramref name="offset"/> (three floats).</summary>
    internal void Draw(RandomSource random, Span<float> offset)
    {
        Span<double> scaled = stackalloc double[3];
        for (var j = 0; j < 3; j++)
        {
            scaled[j] = Sigma * random.NextGaussian() * _eigenvalues[j];
        }

        for (var i = 0; i < 3; i++)
        {
            offset[i] = (float)((_eigenvectors[i, 0] * scaled[0]) + (_eigenvectors[i, 1] * scaled[1]) + (_eigenvectors[i, 2] * scaled[2]));
        }
    }

    // moments: [count, ΣR, ΣG, ΣB, ΣRR, ΣRG, ΣRB, ΣGG, ΣGB, ΣBB].
    private static void Accumulate(ReadOnlySpan<float> image, int channels, double[] moments)
    {
        if (channels != 3 || image.Length % 3 != 0)
        {
            throw new ArgumentException("PCA colour shift needs CHW images with 3 channels.", nameof(image));
        }

        var plane = image.Length / 3;
        var r = image[..plane];
        var g = image.Slice(plane, plane);
        var b = image.Slice(2 * plane, plane);
        for (var i = 0; i < plane; i++)
        {
            double x = r[i], y = g[i], z = b[i];
            moments[0] += 1;
            moments[1] += x;
            moments[2] += y;
            moments[3] += z;
            moments[4] += x * x;
            moments[5] += x * y;
            moments[6] += x * z;
            moments[7] += y * y;
            moments[8] += y * z;
            moments[9] += z * z;
        }
    }

    private static PcaColorShift FromMoments(double[] moments, double sigma)
    {
        var n = moments[0];
        if (n < 2)
        {
            throw new ArgumentException("PCA colour shift needs at least two training pixels.");
        }

        var mean = new[] { moments[1] / n, moments[2] / n, moments[3] / n };
        var second = new[,]
        {
            { moments[4], moments[5], moments[6] },
            { moments[5], moments[7], moments[8] },
            { moments[6], moments[8], moments[9] },
        };
        var covariance = Matrix<double>.Build.Dense(3, 3, (i, j) => (second[i, j] / n) - (mean[i] * mean[j]));
        var evd = covariance.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, 3).OrderByDescending(j => evd.EigenValues[j].Real).ToArray();
        var values = new double[3];
        var vectors = new double[3, 3];
        for (var k = 0; k < 3; k++)
        {
            var j = order[k];
            values[k] = Math.Max(0, evd.EigenValues[j].Real);
            var column = evd.EigenVectors.Column(j);
            var sign = column.Sum() < 0 ? -1.0 : 1.0;
            for (var i = 0; i < 3; i++)
            {
                vectors[i, k] = sign * column[i];
            }
        }

        return new PcaColorShift(values, vectors, sigma);
    }
}
