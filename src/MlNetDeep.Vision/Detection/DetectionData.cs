using MlNetDeep.Data;

namespace MlNetDeep.Vision.Detection;

/// <summary>
/// A detection data set in memory: images [N, 3, H, W] and, per image, its objects in the BoxTargets layout
/// [N, maxObjects, 5] of (class index, xmin, ymin, xmax, ymax) in pixels, empty slots with class −1 and zeros.
/// </summary>
public sealed class DetectionData
{
    /// <summary>Creates a data set.</summary>
    /// <param name="images">The images, [N, C, H, W].</param>
    /// <param name="targets">The objects, [N, maxObjects, 5].</param>
    /// <param name="classNames">The class names, indexed by class.</param>
    public DetectionData(Tensor images, Tensor targets, string[] classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        ImageSetChecks.Check(images, targets, classNames, [images.Rows, -1, 5], "[N, maxObjects, 5]", 5, -1, 1);
        Images = images;
        Targets = targets;
        ClassNames = classNames;
    }

    /// <summary>The images, [N, C, H, W].</summary>
    public Tensor Images { get; }

    /// <summary>The objects, [N, maxObjects, 5] of (class, xmin, ymin, xmax, ymax); class −1 for empty slots.</summary>
    public Tensor Targets { get; }

    /// <summary>The class names.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The number of images.</summary>
    public int Count => Images.Rows;

    /// <summary>The objects of image <paramref name="row"/> (score 1).</summary>
    /// <param name="row">The image.</param>
    public List<DetectedObject> Objects(int row)
    {
        var result = new List<DetectedObject>();
        var t = Targets.Row(row);
        for (var o = 0; o < t.Length / 5; o++)
        {
            if (t[o * 5] >= 0)
            {
                result.Add(new DetectedObject(new BoundingBox(t[(o * 5) + 1], t[(o * 5) + 2], t[(o * 5) + 3], t[(o * 5) + 4]), (int)t[o * 5], 1f));
            }
        }

        return result;
    }
}
