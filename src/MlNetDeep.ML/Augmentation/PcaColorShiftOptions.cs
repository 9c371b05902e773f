using MlNetDeep.Vision;

namespace MlNetDeep.ML;

/// <summary>
/// Options of <c>mlContext.Transforms.PcaColorShift</c>: AlexNet's colour augmentation (seed 000 §2.4). Fitting computes
/// the 3×3 RGB covariance of the training pixels and its eigenvalues λ and eigenvectors p; while a network trains each
/// image gets offset_i = Σ_j p_ij·α_j·λ_j, α_j ~ N(0, σ), added to every pixel of channel i. The identity when scoring.
/// </summary>
public sealed class PcaColorShiftOptions : ImageAugmentationOptions
{
    /// <summary>σ of the α draws (AlexNet: 0.1).</summary>
    public double Sigma = 0.1;

    /// <summary>
    /// Use the ImageNet eigenvalues and eigenvectors of fb.resnet.torch (λ = 0.2175, 0.0188, 0.0045 for pixels in [0, 1])
    /// instead of fitting them on the training data.
    /// </summary>
    public bool UseImageNetStatistics;

    /// <summary>With <see cref="UseImageNetStatistics"/>: the pixel scale (1 for pixels in [0, 1], 255 for [0, 255]).</summary>
    public double PixelScale = 1;

    internal override ImageAugmentation CreateStep(Func<Tensor> readImages) =>
        (UseImageNetStatistics ? PcaColorShift.ImageNet(Sigma, PixelScale) : PcaColorShift.Fit(readImages(), Sigma)) switch
        {
            var step when AlwaysRandom => new PcaColorShift(step.Eigenvalues, step.EigenvectorMatrix(), step.Sigma) { AlwaysRandom = true },
            var step => step,
        };
}
