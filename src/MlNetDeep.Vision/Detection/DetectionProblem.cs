namespace MlNetDeep.Vision.Detection;

/// <summary>
/// What a detector is fitted to, as the detection trainer reads it from the training data before it builds the
/// <see cref="Detector"/>: the image shape, the class names, the most objects an image holds, and the shapes of all the
/// training boxes (from which anchor boxes are fitted by k-means, <see cref="AnchorBoxes.Fit"/>).
/// </summary>
/// <param name="Channels">The image channels.</param>
/// <param name="ImageHeight">The image height in pixels, as the network sees it (after any crop).</param>
/// <param name="ImageWidth">The image width in pixels, as the network sees it.</param>
/// <param name="ClassNames">The class names, indexed by class (ordinal order of the label column's names).</param>
/// <param name="MaxObjects">The most objects in one training image (the BoxTargets rows, [MaxObjects, 5]).</param>
/// <param name="BoxShapes">The (width, height) of every training box, in pixels.</param>
/// <param name="Seed">The trainer's seed, for any random choice a detector makes (such as k-means).</param>
public sealed record DetectionProblem(
    int Channels, int ImageHeight, int ImageWidth, IReadOnlyList<string> ClassNames, int MaxObjects,
    IReadOnlyList<(float Width, float Height)> BoxShapes, ulong Seed);
