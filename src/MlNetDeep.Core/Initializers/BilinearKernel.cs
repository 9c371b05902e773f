using MlNetDeep.Tensors;

namespace MlNetDeep.Initializers;

/// <summary>
/// The bilinear interpolation kernel FCN gives its transposed convolutions (seed 004 §5.1.1: the up-sampling
/// "反卷积" starts as bilinear interpolation and is then learned). A <see cref="Layers.ConvTranspose2D"/> with kernel
/// 2f, stride f and padding f/2 so initialised up-samples by f as <see cref="Layers.BilinearUpsampling"/> does, except
/// within half a step of the border, where the transposed convolution sees zeros beyond the image where the fixed layer
/// repeats the edge.
/// </summary>
/// <remarks>
/// Tap t of a kernel of size k has weight 1 − |t − c|/s with s = ⌈k/2⌉ and c = s − 1 (k odd) or s − ½ (k even), as in
/// FCN's <c>upsample_filt</c>; the 2-D kernel is the outer product. Channel c feeds only output channel c: the weights
/// [C, C, k, k] are zero off the diagonal, or [C, 1, k, k] for a depthwise layer (groups = C).
/// </remarks>
public sealed class BilinearKernel : Initializer
{
    /// <summary>Creates the initialiser.</summary>
    /// <param name="kernelSize">The side k of the layer's square kernel.</param>
    /// <param name="channels">The layer's input channels C, which must equal its output channels.</param>
    public BilinearKernel(int kernelSize, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        KernelSize = kernelSize;
        Channels = channels;
    }

    /// <summary>The kernel side k.</summary>
    public int KernelSize { get; }

    /// <summary>The channels C.</summary>
    public int Channels { get; }

    /// <summary>The weight of tap <paramref name="t"/> of a 1-D bilinear kernel of size <paramref name="kernelSize"/>.</summary>
    public static float Weight(int t, int kernelSize)
    {
        var factor = (kernelSize + 1) / 2;
        var centre = kernelSize % 2 == 1 ? factor - 1 : factor - 0.5;
        return (float)(1 - (Math.Abs(t - centre) / factor));
    }

    /// <inheritdoc />
    public override void Fill(Span<float> values, int fanIn, int fanOut, RandomSource random)
    {
        var k = KernelSize;
        var plane = k * k;
        var c = Channels;
        bool diagonal = values.Length == c * c * plane, depthwise = values.Length == c * plane;
        if (!diagonal && !depthwise)
        {
            throw new ArgumentException(
                $"A bilinear kernel of size {k} for {c} channels fills weights of {c * c * plane} values ([C, C, k, k]) or {c * plane} ([C, 1, k, k]); "
                + $"the layer has {values.Length}.",
                nameof(values));
        }

        values.Clear();
        for (var channel = 0; channel < c; channel++)
        {
            var start = (diagonal ? (channel * c) + channel : channel) * plane;
            for (var i = 0; i < k; i++)
            {
                for (var j = 0; j < k; j++)
                {
                    values[start + (i * k) + j] = Weight(i, k) * Weight(j, k);
                }
            }
        }
    }
}
