using MlNetDeep.Losses;

namespace MlNetDeep.Vision.Detection;

/// <summary>
/// The two losses of Faster R-CNN on a <see cref="TwoStageNetwork"/>'s output (<see cref="TwoStageSettings"/>'s layout);
/// each row's target is the image's objects in the BoxTargets layout, [maxObjects, 5] of (class, xmin, ymin, xmax, ymax)
/// in pixels, class −1 for empty slots.
/// <list type="bullet">
/// <item>Region proposal network: an anchor is positive when its IoU with an object is ≥ <see cref="AnchorPositiveIoU"/>
/// or it is an object's best anchor, negative below <see cref="AnchorNegativeIoU"/>, ignored between. Faster R-CNN trains
/// the objectness on every positive and a random sample of S negatives, here three per positive and at least
/// <see cref="MinNegatives"/>; the loss is that sample's expectation — every negative weighted S/N — so no anchor is left
/// out, no random draw is needed and the same batch gives the same bits (a fixed hashed sample saw the same few
/// negatives of an image in every epoch; hard negatives alone — the top-scoring ones — left the RPN at its prior). Its
/// logistic loss is averaged over the S + P sampled, plus the smooth-L1 loss (β = 1) of the deltas to the object,
/// averaged over the positives.</item>
/// <item>Head: a proposal is labelled with its best object's class + 1 when their IoU is ≥ <see cref="RegionPositiveIoU"/>,
/// background (0) otherwise; the sample is every positive and the first negatives in proposal rank (the RPN's best
/// guesses, so hard ones), three per positive and at least <see cref="MinNegatives"/>; softmax log-loss averaged over the
/// sample, plus smooth L1 of the scaled deltas (<see cref="TwoStageSettings.DeltaScale"/>) averaged over the positives.</item>
/// </list>
/// The cost is the sum of the four terms, averaged over the rows. The proposals' coordinates in the output get no
/// gradient (approximate joint training).
/// </summary>
public sealed class TwoStageLoss : Loss
{
    [ThreadStatic]
    private static Scratch? t_scratch;

    /// <summary>Creates the loss.</summary>
    /// <param name="settings">The detector's shape.</param>
    public TwoStageLoss(TwoStageSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
    }

    /// <summary>The detector's shape.</summary>
    public TwoStageSettings Settings { get; }

    /// <summary>The IoU from which an anchor is positive (Faster R-CNN: 0.7; lower for small objects on a coarse grid).</summary>
    public float AnchorPositiveIoU { get; init; } = 0.5f;

    /// <summary>The IoU below which an anchor is negative.</summary>
    public float AnchorNegativeIoU { get; init; } = 0.3f;

    /// <summary>The IoU from which a proposal takes its object's class.</summary>
    public float RegionPositiveIoU { get; init; } = 0.5f;

    /// <summary>The least negatives sampled per image and stage.</summary>
    public int MinNegatives { get; init; } = 16;

    /// <summary>Box targets (BoxTargets layout): an augmentation that moves pixels moves the boxes with them.</summary>
    public override SpatialTargets? SpatialTargets { get; } = new BoxTargets();

    /// <inheritdoc />
    public override string? Validate(Tensor target, int outputs)
    {
        if (outputs != Settings.OutputLength)
        {
            return $"the network has {outputs} outputs; the two-stage layout expects {Settings.OutputLength}";
        }

        return BoxTargets.CheckRows(target, Settings.ClassCount);
    }

    /// <inheritdoc />
    protected override double OnCompute(Tensor prediction, Tensor target, Tensor? gradient)
    {
        var s = Settings;
        if (prediction.RowSize != s.OutputLength)
        {
            throw new ArgumentException($"{nameof(TwoStageLoss)}: predictions have {prediction.RowSize} values a row; expected {s.OutputLength}.", nameof(prediction));
        }

        var n = prediction.Rows;
        var scratch = t_scratch is { } t && t.Fits(s, target.RowSize / 5) ? t : (t_scratch = new Scratch(s, target.RowSize / 5));
        gradient?.Clear();
        double sum = 0;
        for (var r = 0; r < n; r++)
        {
            var objects = scratch.ReadObjects(target.Row(r));
            var z = prediction.Row(r);
            var g = gradient is null ? default : gradient.Row(r);
            sum += Proposals(z, g, objects, scratch, 1f / n) + Regions(z, g, objects, scratch, 1f / n);
        }

        return sum / n;
    }

    private double Proposals(ReadOnlySpan<float> z, Span<float> g, int objects, Scratch scratch, float scale)
    {
        var grid = Settings.Grid;
        var count = grid.Count;
        var plane = grid.FeatureHeight * grid.FeatureWidth;
        var label = scratch.AnchorLabel;
        var match = scratch.AnchorObject;
        for (var i = 0; i < count; i++)
        {
            var anchor = grid.Anchor(i);
            var (best, at) = (0f, -1);
            for (var o = 0; o < objects; o++)
            {
                var iou = Boxes.IoU(anchor, scratch.Boxes[o]);
                if (iou > best)
                {
                    (best, at) = (iou, o);
                }
            }

            match[i] = at;
            label[i] = best >= AnchorPositiveIoU ? 1 : best < AnchorNegativeIoU ? 0 : -1;
        }

        // Every object gets its best anchor, however poor, so that no object goes without a positive.
        for (var o = 0; o < objects; o++)
        {
            var (best, at) = (0f, -1);
            for (var i = 0; i < count; i++)
            {
                var iou = Boxes.IoU(grid.Anchor(i), scratch.Boxes[o]);
                if (iou > best)
                {
                    (best, at) = (iou, i);
                }
            }

            if (at >= 0)
            {
                (label[at], match[at]) = (1, o);
            }
        }

        var positives = 0;
        var negatives = 0;
        for (var i = 0; i < count; i++)
        {
            positives += label[i] == 1 ? 1 : 0;
            negatives += label[i] == 0 ? 1 : 0;
        }

        // Faster R-CNN samples S negatives at random: each negative is drawn with probability S/N. The loss is that
        // sample's expectation — every negative at weight S/N — so no anchor is left out and no random draw is needed.
        var sampled = Math.Min(negatives, Math.Max(3 * positives, MinNegatives));
        var total = positives + sampled;
        var negativeWeight = negatives > 0 ? (float)sampled / negatives : 0f;
        double sum = 0;
        if (total > 0)
        {
            for (var i = 0; i < count; i++)
            {
                if (label[i] == 1)
                {
                    sum += Logistic(z, g, Objectness(i, plane), 1f, scale / total);
                }
                else if (label[i] == 0)
                {
                    sum += negativeWeight * Logistic(z, g, Objectness(i, plane), 0f, negativeWeight * scale / total);
                }
            }

            sum /= total;
        }

        if (positives > 0)
        {
            Span<float> t = stackalloc float[4];
            double box = 0;
            for (var i = 0; i < count; i++)
            {
                if (label[i] != 1)
                {
                    continue;
                }

                AnchorGrid.Encode(grid.Anchor(i), scratch.Boxes[match[i]], t);
                for (var c = 0; c < 4; c++)
                {
                    box += SmoothL1(z, g, Objectness(i, plane) + ((c + 1) * plane), t[c], scale / positives);
                }
            }

            sum += box / positives;
        }

        return sum;
    }

    private double Regions(ReadOnlySpan<float> z, Span<float> g, int objects, Scratch scratch, float scale)
    {
        var s = Settings;
        var r = s.RegionsPerImage;
        var classes = s.ClassCount + 1;
        var label = scratch.RegionLabel;
        var match = scratch.RegionObject;
        var positives = 0;
        var negatives = 0;
        for (var k = 0; k < r; k++)
        {
            var x = z.Slice(s.RegionOffset(k), 4);
            var proposal = new BoundingBox(x[0], x[1], x[2], x[3]);
            var (best, at) = (0f, -1);
            for (var o = 0; o < objects; o++)
            {
                var iou = Boxes.IoU(proposal, scratch.Boxes[o]);
                if (iou > best)
                {
                    (best, at) = (iou, o);
                }
            }

            var positive = at >= 0 && best >= RegionPositiveIoU && proposal.Width > 0 && proposal.Height > 0;
            (label[k], match[k]) = positive ? (scratch.Classes[at] + 1, at) : (0, -1);
            positives += positive ? 1 : 0;
            negatives += positive ? 0 : 1;
        }

        var sampled = Math.Min(negatives, Math.Max(3 * positives, MinNegatives));
        var total = positives + sampled;
        Span<float> p = stackalloc float[classes];
        Span<float> t = stackalloc float[4];
        double sum = 0;
        double box = 0;
        var taken = 0;
        for (var k = 0; k < r; k++)
        {
            if (label[k] == 0 && taken++ >= sampled)
            {
                continue;
            }

            var at = s.RegionOffset(k) + 4;
            var (max, logSum) = MlNetDeep.Layers.Activations.Softmax.ComputeWithLogSum(z.Slice(at, classes), p);
            sum += (max - z[at + label[k]] + logSum) / total;
            if (!g.IsEmpty)
            {
                for (var c = 0; c < classes; c++)
                {
                    g[at + c] = (p[c] - (c == label[k] ? 1 : 0)) * scale / total;
                }
            }

            if (label[k] == 0)
            {
                continue;
            }

            var x = z.Slice(s.RegionOffset(k), 4);
            AnchorGrid.Encode(new BoundingBox(x[0], x[1], x[2], x[3]), scratch.Boxes[match[k]], t);
            for (var c = 0; c < 4; c++)
            {
                box += SmoothL1(z, g, at + classes + c, t[c] * TwoStageSettings.DeltaScale[c], scale / positives);
            }
        }

        return positives > 0 ? sum + (box / positives) : sum;
    }

    private static int Objectness(int anchor, int plane) => ((anchor / plane) * TwoStageSettings.AnchorValues * plane) + (anchor % plane);

    // −ln σ(z) for y = 1, −ln(1 − σ(z)) for y = 0, as softplus so it stays finite; adds (σ(z) − y)·weight to g.
    private static double Logistic(ReadOnlySpan<float> z, Span<float> g, int at, float y, float weight)
    {
        var v = z[at];
        var u = y == 1 ? -v : v;
        var loss = u > 0 ? u + Math.Log(1 + Math.Exp(-u)) : Math.Log(1 + Math.Exp(u));
        if (!g.IsEmpty)
        {
            g[at] += (float)((1 / (1 + Math.Exp(-v))) - y) * weight;
        }

        return loss;
    }

    private static double SmoothL1(ReadOnlySpan<float> z, Span<float> g, int at, float target, float weight)
    {
        var d = z[at] - target;
        var a = MathF.Abs(d);
        if (!g.IsEmpty)
        {
            g[at] += (a < 1 ? d : MathF.Sign(d)) * weight;
        }

        return a < 1 ? 0.5 * d * d : a - 0.5;
    }

    // Per-thread buffers sized to the settings, so a training step allocates nothing once warm.
    private sealed class Scratch
    {
        public Scratch(TwoStageSettings settings, int maxObjects)
        {
            Settings = settings;
            Boxes = new BoundingBox[maxObjects];
            Classes = new int[maxObjects];
            AnchorLabel = new int[settings.Grid.Count];
            AnchorObject = new int[settings.Grid.Count];
            RegionLabel = new int[settings.RegionsPerImage];
            RegionObject = new int[settings.RegionsPerImage];
        }

        public TwoStageSettings Settings { get; }

        public BoundingBox[] Boxes { get; }

        public int[] Classes { get; }

        public int[] AnchorLabel { get; }

        public int[] AnchorObject { get; }

        public int[] RegionLabel { get; }

        public int[] RegionObject { get; }

        public bool Fits(TwoStageSettings settings, int maxObjects) => ReferenceEquals(settings, Settings) && Boxes.Length >= maxObjects;

        public int ReadObjects(ReadOnlySpan<float> row)
        {
            var count = 0;
            for (var o = 0; o < row.Length / 5; o++)
            {
                var v = row.Slice(o * 5, 5);
                if (v[0] >= 0)
                {
                    Classes[count] = (int)v[0];
                    Boxes[count++] = new BoundingBox(v[1], v[2], v[3], v[4]);
                }
            }

            return count;
        }
    }
}
