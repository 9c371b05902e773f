using Microsoft.ML;
using MlNetDeep.ML.Internal;

namespace MlNetDeep.ML;

/// <summary>
/// MlNetDeep's image augmentation and normalisation in ML.NET's transforms catalog, to follow ImageAnalytics' LoadImages →
/// ResizeImages → ExtractPixels: <c>mlContext.Transforms.RandomCrop(...)</c>, <c>.RandomMirror(...)</c>, <c>.PcaColorShift(...)</c>,
/// <c>.NormalizeChannels(...)</c> and the others, each with a simple overload and one taking options. Random steps draw only while an
/// MlNetDeep trainer trains (fresh, reproducible draws every epoch); when the fitted pipeline scores they are the identity and
/// a random crop is the centre crop.
/// </summary>
public static class ImageAugmentationCatalog
{
    /// <summary>Flips images left-right with probability <paramref name="horizontalProbability"/> (and upside down with <paramref name="verticalProbability"/>) while an MlNetDeep network trains; the identity when scoring.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The column written (a Vector&lt;Single, C, H, W&gt;).</param>
    /// <param name="horizontalProbability">The probability of a left-right flip.</param>
    /// <param name="verticalProbability">The probability of an upside-down flip.</param>
    /// <param name="inputColumnName">The column read (CHW pixels); the output column when null.</param>
    public static ImageAugmentationEstimator RandomMirror(
        this TransformsCatalog catalog,
        string outputColumnName = "Features",
        double horizontalProbability = 0.5,
        double verticalProbability = 0,
        string? inputColumnName = null) =>
        catalog.RandomMirror(new RandomMirrorOptions { HorizontalProbability = horizontalProbability, VerticalProbability = verticalProbability, OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>RandomMirror with every option (see <see cref="RandomMirrorOptions"/>).</summary>
    public static ImageAugmentationEstimator RandomMirror(this TransformsCatalog catalog, RandomMirrorOptions options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>A random <paramref name="height"/>×<paramref name="width"/> window while an MlNetDeep network trains; the centre window when scoring (AlexNet: 224×224 of 256×256).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The column written (a Vector&lt;Single, C, H, W&gt;).</param>
    /// <param name="height">The crop height in pixels.</param>
    /// <param name="width">The crop width in pixels.</param>
    /// <param name="inputColumnName">The column read (CHW pixels); the output column when null.</param>
    public static ImageAugmentationEstimator RandomCrop(
        this TransformsCatalog catalog,
        string outputColumnName,
        int height,
        int width,
        string? inputColumnName = null) =>
        catalog.RandomCrop(new RandomCropOptions { Height = height, Width = width, OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>RandomCrop with every option (see <see cref="RandomCropOptions"/>).</summary>
    public static ImageAugmentationEstimator RandomCrop(this TransformsCatalog catalog, RandomCropOptions options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>AlexNet's PCA colour shift: fits the RGB covariance's eigenvalues and eigenvectors on the training pixels and, while an MlNetDeep network trains, adds Σ_j p_j·α_j·λ_j (α_j ~ N(0, σ)) to every pixel; the identity when scoring.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The column written (a Vector&lt;Single, C, H, W&gt;).</param>
    /// <param name="sigma">σ of the α draws (AlexNet: 0.1).</param>
    /// <param name="inputColumnName">The column read (CHW pixels); the output column when null.</param>
    public static ImageAugmentationEstimator PcaColorShift(
        this TransformsCatalog catalog,
        string outputColumnName = "Features",
        double sigma = 0.1,
        string? inputColumnName = null) =>
        catalog.PcaColorShift(new PcaColorShiftOptions { Sigma = sigma, OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>PcaColorShift with every option (see <see cref="PcaColorShiftOptions"/>).</summary>
    public static ImageAugmentationEstimator PcaColorShift(this TransformsCatalog catalog, PcaColorShiftOptions options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>Rotates images by a uniform angle within ±<paramref name="maxDegrees"/> while an MlNetDeep network trains; the identity when scoring.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The column written (a Vector&lt;Single, C, H, W&gt;).</param>
    /// <param name="maxDegrees">The largest rotation in degrees.</param>
    /// <param name="inputColumnName">The column read (CHW pixels); the output column when null.</param>
    public static ImageAugmentationEstimator RandomRotation(
        this TransformsCatalog catalog,
        string outputColumnName,
        double maxDegrees,
        string? inputColumnName = null) =>
        catalog.RandomRotation(new RandomRotationOptions { MaxDegrees = maxDegrees, OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>RandomRotation with every option (see <see cref="RandomRotationOptions"/>).</summary>
    public static ImageAugmentationEstimator RandomRotation(this TransformsCatalog catalog, RandomRotationOptions options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>Zooms images about the centre by a uniform factor in [<paramref name="minScale"/>, <paramref name="maxScale"/>] while an MlNetDeep network trains; the identity when scoring.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The column written (a Vector&lt;Single, C, H, W&gt;).</param>
    /// <param name="minScale">The smallest zoom factor.</param>
    /// <param name="maxScale">The largest zoom factor.</param>
    /// <param name="inputColumnName">The column read (CHW pixels); the output column when null.</param>
    public static ImageAugmentationEstimator RandomScaling(
        this TransformsCatalog catalog,
        string outputColumnName,
        double minScale,
        double maxScale,
        string? inputColumnName = null) =>
        catalog.RandomScaling(new RandomScalingOptions { MinScale = minScale, MaxScale = maxScale, OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>RandomScaling with every option (see <see cref="RandomScalingOptions"/>).</summary>
    public static ImageAugmentationEstimator RandomScaling(this TransformsCatalog catalog, RandomScalingOptions options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>Adds a uniform brightness change within ±<paramref name="maxDelta"/> to every pixel while an MlNetDeep network trains; the identity when scoring.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The column written (a Vector&lt;Single, C, H, W&gt;).</param>
    /// <param name="maxDelta">The largest change, in pixel units.</param>
    /// <param name="inputColumnName">The column read (CHW pixels); the output column when null.</param>
    public static ImageAugmentationEstimator RandomBrightness(
        this TransformsCatalog catalog,
        string outputColumnName,
        float maxDelta,
        string? inputColumnName = null) =>
        catalog.RandomBrightness(new RandomBrightnessOptions { MaxDelta = maxDelta, OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>RandomBrightness with every option (see <see cref="RandomBrightnessOptions"/>).</summary>
    public static ImageAugmentationEstimator RandomBrightness(this TransformsCatalog catalog, RandomBrightnessOptions options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>Blurs images with a Gaussian of random σ up to <paramref name="sigmaMax"/>, with probability <paramref name="probability"/>, while an MlNetDeep network trains; the identity when scoring.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The column written (a Vector&lt;Single, C, H, W&gt;).</param>
    /// <param name="sigmaMax">The largest σ in pixels.</param>
    /// <param name="probability">The probability that an image is blurred.</param>
    /// <param name="inputColumnName">The column read (CHW pixels); the output column when null.</param>
    public static ImageAugmentationEstimator RandomBlur(
        this TransformsCatalog catalog,
        string outputColumnName,
        double sigmaMax,
        double probability = 0.5,
        string? inputColumnName = null) =>
        catalog.RandomBlur(new RandomBlurOptions { SigmaMax = sigmaMax, Probability = probability, OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>RandomBlur with every option (see <see cref="RandomBlurOptions"/>).</summary>
    public static ImageAugmentationEstimator RandomBlur(this TransformsCatalog catalog, RandomBlurOptions options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>Shifts images by whole pixels within ±<paramref name="maxShiftX"/> and ±<paramref name="maxShiftY"/> while an MlNetDeep network trains; the identity when scoring.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The column written (a Vector&lt;Single, C, H, W&gt;).</param>
    /// <param name="maxShiftX">The largest horizontal shift.</param>
    /// <param name="maxShiftY">The largest vertical shift.</param>
    /// <param name="inputColumnName">The column read (CHW pixels); the output column when null.</param>
    public static ImageAugmentationEstimator RandomTranslation(
        this TransformsCatalog catalog,
        string outputColumnName,
        int maxShiftX,
        int maxShiftY,
        string? inputColumnName = null) =>
        catalog.RandomTranslation(new RandomTranslationOptions { MaxShiftX = maxShiftX, MaxShiftY = maxShiftY, OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>RandomTranslation with every option (see <see cref="RandomTranslationOptions"/>).</summary>
    public static ImageAugmentationEstimator RandomTranslation(this TransformsCatalog catalog, RandomTranslationOptions options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>Per-channel normalisation (x − μ_c)/σ_c with μ and σ fitted over the training pixels; deterministic.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The column written (a Vector&lt;Single, C, H, W&gt;).</param>
    /// <param name="inputColumnName">The column read (CHW pixels); the output column when null.</param>
    public static ImageAugmentationEstimator NormalizeChannels(
        this TransformsCatalog catalog,
        string outputColumnName = "Features",
        string? inputColumnName = null) =>
        catalog.NormalizeChannels(new NormalizeChannelsOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>NormalizeChannels with every option (see <see cref="NormalizeChannelsOptions"/>).</summary>
    public static ImageAugmentationEstimator NormalizeChannels(this TransformsCatalog catalog, NormalizeChannelsOptions options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>Per-feature input normalisation (x − μ_j)/σ_j (seed 001) with μ and σ fitted on the training data; deterministic.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The column written (the input's shape: Vector&lt;Single, C, H, W&gt;, or a flat vector for a flat input).</param>
    /// <param name="inputColumnName">The column read (CHW pixels, or any flat feature vector); the output column when null.</param>
    public static ImageAugmentationEstimator NormalizeInput(
        this TransformsCatalog catalog,
        string outputColumnName = "Features",
        string? inputColumnName = null) =>
        catalog.NormalizeInput(new NormalizeInputOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>NormalizeInput with every option (see <see cref="NormalizeInputOptions"/>).</summary>
    public static ImageAugmentationEstimator NormalizeInput(this TransformsCatalog catalog, NormalizeInputOptions options) =>
        new(CatalogEnvironment.Of(catalog), options);
}
