using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers.Convolution;

/// <summary>
/// Direct, loop-by-loop convolution in double precision, written from the definition (no im2col), as the reference
/// for <see cref="MlNetDeep.Layers.Conv2D"/> and <see cref="MlNetDeep.Layers.ConvTranspose2D"/>.
/// </summary>
internal sealed record NaiveConvolution(
    int KernelHeight,
    int KernelWidth,
    int StrideHeight = 1,
    int StrideWidth = 1,
    int PadTop = 0,
    int PadLeft = 0,
    int DilationHeight = 1,
    int DilationWidth = 1,
    int Groups = 1)
{
    /// <summary>y[n, o, oy, ox] = b[o] + Σ x[n, c, oy·s − p + ki·d, ox·s − p + kj·d]·w[o, c − group start, ki, kj] over the filter's group.</summary>
    public Tensor Forward(Tensor x, Tensor w, Tensor? b, int outHeight, int outWidth)
    {
        int n = x.Dim(0), cin = x.Dim(1), h = x.Dim(2), wd = x.Dim(3), cout = w.Dim(0), cg = cin / Groups, og = cout / Groups;
        var y = new Tensor(n, cout, outHeight, outWidth);
        for (var s = 0; s < n; s++)
        {
            for (var o = 0; o < cout; o++)
            {
                var group = o / og;
                for (var oy = 0; oy < outHeight; oy++)
                {
                    for (var ox = 0; ox < outWidth; ox++)
                    {
                        double sum = b is null ? 0 : b[o];
                        for (var c = 0; c < cg; c++)
                        {
                            for (var ki = 0; ki < KernelHeight; ki++)
                            {
                                for (var kj = 0; kj < KernelWidth; kj++)
                                {
                                    var iy = (oy * StrideHeight) - PadTop + (ki * DilationHeight);
                                    var ix = (ox * StrideWidth) - PadLeft + (kj * DilationWidth);
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd)
                                    {
                                        sum += (double)x[Index(x, s, (group * cg) + c, iy, ix)] * w[Index(w, o, c, ki, kj)];
                                    }
                                }
                            }
                        }

                        y[Index(y, s, o, oy, ox)] = (float)sum;
                    }
                }
            }
        }

        return y;
    }

    /// <summary>
    /// The transposed convolution by scattering: every x[n, c, iy, ix] adds x·w[c, o, ki, kj] at
    /// (iy·s − p + ki·d, ix·s − p + kj·d) of output channel group·(Cout/groups) + o, when inside the output.
    /// </summary>
    public Tensor Transposed(Tensor x, Tensor w, Tensor? b, int outHeight, int outWidth)
    {
        int n = x.Dim(0), cin = x.Dim(1), h = x.Dim(2), wd = x.Dim(3), og = w.Dim(1), cg = cin / Groups;
        var cout = og * Groups;
        var y = new double[n * cout * outHeight * outWidth];
        for (var s = 0; s < n; s++)
        {
            for (var c = 0; c < cin; c++)
            {
                var group = c / cg;
                for (var iy = 0; iy < h; iy++)
                {
                    for (var ix = 0; ix < wd; ix++)
                    {
                        double v = x[Index(x, s, c, iy, ix)];
                        for (var o = 0; o < og; o++)
                        {
                            for (var ki = 0; ki < KernelHeight; ki++)
                            {
                                for (var kj = 0; kj < KernelWidth; kj++)
                                {
                                    var oy = (iy * StrideHeight) - PadTop + (ki * DilationHeight);
                                    var ox = (ix * StrideWidth) - PadLeft + (kj * DilationWidth);
                                    if (oy >= 0 && oy < outHeight && ox >= 0 && ox < outWidth)
                                    {
                                        y[((((s * cout) + (group * og) + o) * outHeight) + oy) * outWidth + ox] += v * w[Index(w, c, o, ki, kj)];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        var result = new Tensor(n, cout, outHeight, outWidth);
        for (var i = 0; i < y.Length; i++)
        {
            var channel = i / (outHeight * outWidth) % cout;
            result[i] = (float)(y[i] + (b is null ? 0 : b[channel]));
        }

        return result;
    }

    /// <summary>∂C/∂w[o, c, ki, kj] = Σ dy[n, o, oy, ox]·x[n, group start + c, oy·s − p + ki·d, ox·s − p + kj·d].</summary>
    public Tensor WeightGradient(Tensor x, Tensor dy, int[] weightShape)
    {
        int n = x.Dim(0), cin = x.Dim(1), h = x.Dim(2), wd = x.Dim(3), cout = dy.Dim(1), cg = cin / Groups, og = cout / Groups;
        var dw = new Tensor(weightShape);
        for (var o = 0; o < cout; o++)
        {
            var group = o / og;
            for (var c = 0; c < cg; c++)
            {
                for (var ki = 0; ki < KernelHeight; ki++)
                {
                    for (var kj = 0; kj < KernelWidth; kj++)
                    {
                        double sum = 0;
                        for (var s = 0; s < n; s++)
                        {
                            for (var oy = 0; oy < dy.Dim(2); oy++)
                            {
                                for (var ox = 0; ox < dy.Dim(3); ox++)
                                {
                                    var iy = (oy * StrideHeight) - PadTop + (ki * DilationHeight);
                                    var ix = (ox * StrideWidth) - PadLeft + (kj * DilationWidth);
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd)
                                    {
                                        sum += (double)dy[Index(dy, s, o, oy, ox)] * x[Index(x, s, (group * cg) + c, iy, ix)];
                                    }
                                }
                            }
                        }

                        dw[Index(dw, o, c, ki, kj)] = (float)sum;
                    }
                }
            }
        }

        return dw;
    }

    /// <summary>Σ over samples and positions of each channel of <paramref name="dy"/>.</summary>
    public static Tensor ChannelSums(Tensor dy)
    {
        var sums = new Tensor(dy.Dim(1));
        var plane = dy.Dim(2) * dy.Dim(3);
        for (var i = 0; i < dy.Length; i++)
        {
            sums[i / plane % dy.Dim(1)] += dy[i];
        }

        return sums;
    }

    /// <summary>The flat index of [a, b, c, d] in a rank-4 tensor.</summary>
    public static int Index(Tensor t, int a, int b, int c, int d) => (((((a * t.Dim(1)) + b) * t.Dim(2)) + c) * t.Dim(3)) + d;

    /// <summary>The largest |a − b| over two tensors of equal length.</summary>
    public static double MaxDifference(Tensor a, Tensor b)
    {
        Assert.That(a.Length, Is.EqualTo(b.Length), "lengths");
        double max = 0;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }
}
