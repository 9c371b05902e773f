using MlNetDeep.Kernels;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A convolution computed as another one on its images rearranged into phases (<see cref="PhaseSplitConvolution"/>,
/// <see cref="SpaceToDepthConvolution"/>): the engine's two entry points, and the per-sample passes that gather the
/// phases and scatter the results back.
/// </summary>
internal abstract class RearrangedConvolution : ParallelJob
{
    /// <summary>columnSide = the convolution of image (+ bias).</summary>
    public abstract void Lower(Tensor image, Tensor columnSide, Tensor weight, Tensor? bias);

    /// <summary>The backward pass of <see cref="Lower"/>: weightGradient and biasGradient added to, imageGradient written; null targets are skipped.</summary>
    public abstract void LowerBackward(Tensor image, Tensor dColumnSide, Tensor weight, Tensor? weightGradient, Tensor? biasGradient, Tensor? imageGradient);

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
}
