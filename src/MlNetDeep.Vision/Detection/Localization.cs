namespace MlNetDeep.Vision.Detection;

/// <summary>
/// The seed's localisation target (目标定位): with the image's top-left corner at (0, 0) and bottom-right at (1, 1),
/// y = [pc, bx, by, bh, bw, c1..cK], the centre (bx, by) and size (bh, bw) relative to the image, and the class one-hot;
/// y = [0, …] when there is no object. <see cref="Losses.LocalizationLoss"/> is its loss.
/// </summary>
public static class Localization
{
    /// <summary>Writes the target of an image of <paramref name="imageWidth"/> × <paramref name="imageHeight"/> pixels.</summary>
    /// <param name="box">The object's box in pixels, or null when the image holds no object (background).</param>
    /// <param name="classIndex">The object's class in [0, K).</param>
    /// <param name="imageWidth">The image's width in pixels.</param>
    /// <param name="imageHeight">The image's height in pixels.</param>
    /// <param name="target">Receives [pc, bx, by, bh, bw, c1..cK]; its length gives K + 5.</param>
    public static void Encode(BoundingBox? box, int classIndex, int imageWidth, int imageHeight, Span<float> target)
    {
        var classes = target.Length - Losses.LocalizationLoss.BoxValues;
        if (classes < 1)
        {
            throw new ArgumentException($"A localisation target needs at least 6 values (pc, bx, by, bh, bw and a class); the span has {target.Length}.", nameof(target));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(imageWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageHeight, 1);
        target.Clear();
        if (box is not { } b)
        {
            return;
        }

        if (!b.IsValid)
        {
            throw new ArgumentException($"The box {b} is not valid: expected finite corners with xmin ≤ xmax and ymin ≤ ymax.", nameof(box));
        }

        if ((uint)classIndex >= (uint)classes)
        {
            throw new ArgumentOutOfRangeException(nameof(classIndex), classIndex, $"The class index must be in [0, {classes}).");
        }

        target[0] = 1;
        target[1] = b.CentreX / imageWidth;
        target[2] = b.CentreY / imageHeight;
        target[3] = b.Height / imageHeight;
        target[4] = b.Width / imageWidth;
        target[Losses.LocalizationLoss.BoxValues + classIndex] = 1;
    }

    /// <summary>
    /// Reads a localisation output or target back: the box in pixels and the most probable class, or null when
    /// pc (a probability, or a logit when <paramref name="logits"/>) is below one half.
    /// </summary>
    /// <param name="values">[pc, bx, by, bh, bw, c1..cK].</param>
    /// <param name="imageWidth">The image's width in pixels.</param>
    /// <param name="imageHeight">The image's height in pixels.</param>
    /// <param name="logits">True when pc is a logit (a network's output), false when it is a probability (a target).</param>
    public static DetectedObject? Decode(ReadOnlySpan<float> values, int imageWidth, int imageHeight, bool logits = false)
    {
        var classes = values.Length - Losses.LocalizationLoss.BoxValues;
        if (classes < 1)
        {
            throw new ArgumentException($"A localisation vector has at least 6 values; got {values.Length}.", nameof(values));
        }

        var pc = logits ? 1f / (1f + MathF.Exp(-values[0])) : values[0];
        if (!(pc >= 0.5f))
        {
            return null;
        }

        var best = 0;
        for (var c = 1; c < classes; c++)
        {
            if (values[Losses.LocalizationLoss.BoxValues + c] > values[Losses.LocalizationLoss.BoxValues + best])
            {
                best = c;
            }
        }

        var box = BoundingBox.FromCentre(values[1] * imageWidth, values[2] * imageHeight, values[4] * imageWidth, values[3] * imageHeight);
        return new DetectedObject(box, best, pc);
    }
}
