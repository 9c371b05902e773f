using MlNetDeep.Kernels;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A convolution computed as another one on its images rearranged into phases (<see cref="PhaseSplitConvolution"/>,
/// <see cref="SpaceToDepthConvolution"/>): the engine's two entry points, and the per-sample passes that gather the
/// phases and scatter the results back.
/// </summary>
internal abstract unsafe class RearrangedConvolution : ParallelJob
{
    /// <summary>columnSide = the convolution of image (+ bias), through <paramref name="epilogue"/> when one is given (the inner convolution applies it).</summary>
    public abstract void Lower(Tensor image, Tensor columnSide, Tensor weight, Tensor? bias, bool inference, ConvolutionEpilogue? epilogue);

    /// <summary>The backward pass of <see cref="Lower"/>: weightGradient and biasGradient added to, imageGradient written; null targets are skipped.</summary>
    public abstract void LowerBackward(Tensor image, Tensor dColumnSide, Tensor weight, Tensor? weightGradient, Tensor? biasGradient, Tensor? imageGradient);

    /// <summary>
    /// sub[m, n] = full[dh·m + top, dw·n + left] (a phase of a plane: every dh-th row from row <paramref name="top"/>, every
    /// dw-th column from <paramref name="left"/>; either may be negative), 0 where that lies outside the plane.
    /// </summary>
    protected static void GatherPlane(float* full, float* sub, int fullH, int fullW, int subH, int subW, int top, int left, int dh, int dw)
    {
        var (first, end) = Inside(left, dw, fullW, subW);
        for (var m = 0; m < subH; m++)
        {
            var row = sub + ((long)m * subW);
            var y = (dh * m) + top;
            if ((uint)y >= (uint)fullH || first >= end)
            {
                new Span<float>(row, subW).Clear();
                continue;
            }

            new Span<float>(row, first).Clear();
            var source = full + ((long)y * fullW) + left;
            for (var n = first; n < end; n++)
            {
                row[n] = source[(long)n * dw];
            }

            new Span<float>(row + end, subW - end).Clear();
        }
    }

    /// <summary>full[dh·m + top, dw·n + left] = sub[m, n] for the positions inside the plane (the others are left as they are).</summary>
    protected static void ScatterPlane(float* sub, float* full, int fullH, int fullW, int subH, int subW, int top, int left, int dh, int dw)
    {
        var (first, end) = Inside(left, dw, fullW, subW);
        for (var m = 0; m < subH; m++)
        {
            var y = (dh * m) + top;
            if ((uint)y >= (uint)fullH)
            {
                continue;
            }

            var row = sub + ((long)m * subW);
            var target = full + ((long)y * fullW) + left;
            for (var n = first; n < end; n++)
            {
                target[(long)n * dw] = row[n];
            }
        }
    }

    /// <summary>Runs <see cref="ParallelJob.Execute"/> for every sample: on the pool when there are several and cores to share them.</summary>
    protected void ForEachSample(int samples)
    {
        if (samples > 1 && !WorkerPool.IsInsideJob && WorkerPool.MaxDegreeOfParallelism > 1)
        {
            WorkerPool.For(samples, this);
            return;
        }

        for (var n = 0; n < samples; n++)
        {
            Execute(n);
        }
    }

    /// <summary>The columns n in [0, <paramref name="subW"/>) with 0 ≤ dw·n + left &lt; fullW, as [first, end).</summary>
    private static (int First, int End) Inside(int left, int dw, int fullW, int subW)
    {
        var first = left >= 0 ? 0 : (-left + dw - 1) / dw;
        var end = fullW - left <= 0 ? 0 : Math.Min(subW, (fullW - left + dw - 1) / dw);
        return (Math.Min(first, subW), Math.Max(end, Math.Min(first, subW)));
    }
}
