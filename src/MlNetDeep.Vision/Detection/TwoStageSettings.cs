namespace MlNetDeep.Vision.Detection;

/// <summary>
/// The shape of a two-stage detector (Faster R-CNN in miniature) and the layout of its output, shared by
/// <see cref="TwoStageNetwork"/>, <see cref="TwoStageLoss"/> and the decoding. One image's output is
/// <list type="bullet">
/// <item>the region proposal network's raw output, [B·5, H_f, W_f]: per anchor its objectness logit and its deltas
/// (t_x, t_y, t_w, t_h) from the anchor (<see cref="AnchorGrid"/>);</item>
/// <item>then R = <see cref="RegionsPerImage"/> regions of <see cref="RegionValues"/> values: the proposal (x1, y1, x2,
/// y2) in pixels (decoded from the RPN, after non-max suppression; data for the loss, not trained through), the
/// K + 1 class logits (class 0 is background) and the head's class-agnostic deltas from the proposal, scaled by
/// <see cref="DeltaScale"/> as Fast R-CNN normalises its targets.</item>
/// </list>
/// </summary>
public sealed class TwoStageSettings
{
    /// <summary>The values per anchor in the RPN output: objectness logit, t_x, t_y, t_w, t_h.</summary>
    public const int AnchorValues = 5;

    /// <summary>Fast R-CNN's target scaling of the head's deltas (t_x, t_y by 10, t_w, t_h by 5).</summary>
    public static IReadOnlyList<float> DeltaScale { get; } = [10f, 10f, 5f, 5f];

    /// <summary>Creates the settings.</summary>
    /// <param name="grid">The anchors on the feature map.</param>
    /// <param name="classCount">K, the object classes (background is added).</param>
    /// <param name="regionsPerImage">R, the proposals kept per image and pooled.</param>
    /// <param name="poolSize">The RoI pooling grid side.</param>
    /// <param name="width">The backbone's first filters (the feature map has 2·width channels).</param>
    /// <param name="proposalIoU">The IoU above which non-max suppression drops a proposal (Faster R-CNN: 0.7).</param>
    public TwoStageSettings(AnchorGrid grid, int classCount, int regionsPerImage = 16, int poolSize = 4, int width = 16, float proposalIoU = 0.7f)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(regionsPerImage, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(poolSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (!(proposalIoU > 0 && proposalIoU <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(proposalIoU), proposalIoU, "The proposals' NMS IoU must be in (0, 1].");
        }

        if (grid.Stride is not (1 or 2 or 4 or 8))
        {
            throw new ArgumentException($"The two-stage backbone has a stride of 1, 2, 4 or 8; the anchor grid says {grid.Stride}.", nameof(grid));
        }

        Grid = grid;
        ClassCount = classCount;
        RegionsPerImage = regionsPerImage;
        PoolSize = poolSize;
        Width = width;
        ProposalIoU = proposalIoU;
    }

    /// <summary>The anchors on the feature map.</summary>
    public AnchorGrid Grid { get; }

    /// <summary>K, the object classes.</summary>
    public int ClassCount { get; }

    /// <summary>R, the proposals kept per image.</summary>
    public int RegionsPerImage { get; }

    /// <summary>The RoI pooling grid side.</summary>
    public int PoolSize { get; }

    /// <summary>The backbone's first filters.</summary>
    public int Width { get; }

    /// <summary>The proposals' non-max suppression IoU.</summary>
    public float ProposalIoU { get; }

    /// <summary>The values of the RPN part of one image's output, B·5·H_f·W_f.</summary>
    public int RpnLength => Grid.Count * AnchorValues;

    /// <summary>The head's outputs per region: K + 1 class logits and 4 deltas.</summary>
    public int HeadValues => ClassCount + 1 + 4;

    /// <summary>The values per region in the output: the proposal's 4 corners and <see cref="HeadValues"/>.</summary>
    public int RegionValues => 4 + HeadValues;

    /// <summary>The values of one image's output.</summary>
    public int OutputLength => RpnLength + (RegionsPerImage * RegionValues);

    /// <summary>Where region <paramref name="k"/> starts in one image's output.</summary>
    /// <param name="k">The region.</param>
    public int RegionOffset(int k) => RpnLength + (k * RegionValues);

    /// <summary>
    /// The detections of one image's output: for every region and object class c, the box the head's deltas make of
    /// the proposal (clipped) with score softmax(logits)_{c+1}; those at or above <paramref name="scoreThreshold"/>, after
    /// per-class non-max suppression, by decreasing score, at most <paramref name="maxDetections"/>.
    /// </summary>
    /// <param name="output">One image's output, <see cref="OutputLength"/> values.</param>
    /// <param name="scoreThreshold">The least score kept.</param>
    /// <param name="iouThreshold">The per-class NMS IoU.</param>
    /// <param name="maxDetections">The most detections returned.</param>
    /// <param name="detections">Cleared, then receives the detections.</param>
    public void Decode(ReadOnlySpan<float> output, float scoreThreshold, float iouThreshold, int maxDetections, List<DetectedObject> detections)
    {
        ArgumentNullException.ThrowIfNull(detections);
        if (output.Length != OutputLength)
        {
            throw new ArgumentException($"A two-stage output has {OutputLength} values an image; got {output.Length}.", nameof(output));
        }

        detections.Clear();
        var candidates = new List<DetectedObject>();
        Span<float> p = stackalloc float[ClassCount + 1];
        for (var k = 0; k < RegionsPerImage; k++)
        {
            var region = output.Slice(RegionOffset(k), RegionValues);
            var proposal = new BoundingBox(region[0], region[1], region[2], region[3]);
            if (!(proposal.Width > 0 && proposal.Height > 0))
            {
                continue;
            }

            MlNetDeep.Layers.Activations.Softmax.Compute(region.Slice(4, ClassCount + 1), p);
            var d = region.Slice(5 + ClassCount, 4);
            var box = Grid.Clip(AnchorGrid.Apply(proposal, d[0] / DeltaScale[0], d[1] / DeltaScale[1], d[2] / DeltaScale[2], d[3] / DeltaScale[3]));
            if (!(box.Width > 0 && box.Height > 0))
            {
                continue;
            }

            for (var c = 0; c < ClassCount; c++)
            {
                if (p[c + 1] >= scoreThreshold)
                {
                    candidates.Add(new DetectedObject(box, c, p[c + 1]));
                }
            }
        }

        detections.AddRange(Boxes.NonMaxSuppression(candidates, iouThreshold, scoreThreshold, maxDetections));
    }

}
