using MlNetDeep.Initializers;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;

namespace MlNetDeep.Models;

/// <summary>
/// The semantic segmentation networks of seed 004 §5 (语义图像分割), each an unbuilt <see cref="Graph"/> that maps
/// images [C, H, W] to per-pixel class scores (logits) [K, H, W] for <see cref="Losses.PixelSoftmaxCrossEntropy"/>:
/// FCN-32s/16s/8s on a small VGG-style backbone, U-Net, a DeepLab-style dilated backbone with ASPP, and PSPNet's pyramid
/// pooling. Convolutions are 3×3 with "same" padding, each followed by batch normalisation (optional) and ReLU.
/// </summary>
/// <remarks>
/// Node names follow the papers (FCN: <c>pool3</c>, <c>pool4</c>, <c>score_fr</c>, <c>upscore2</c>, <c>score_pool4</c>,
/// <c>fuse_pool4</c>, …), so the skip connections can be inspected after building.
/// </remarks>
public static class SegmentationArchitectures
{
    /// <summary>
    /// A fully convolutional network (FCN, Long et al. 2015; seed 004 §5.1.1) on a VGG-style backbone of five blocks (two
    /// convolutions and a 2×2 max-pool each, filters f, 2f, 4f, 8f, 8f), the fully connected layers as convolutions
    /// (fc6 3×3 and fc7 1×1, 16f filters) and a 1×1 class scorer. FCN-32s up-samples the scores 32× with one transposed
    /// convolution; FCN-16s first adds 1×1 scores of pool4 to the 2× up-sampled scores and up-samples 16×; FCN-8s also adds
    /// pool3's scores and up-samples 8×. Every up-sampling starts as bilinear interpolation (<see cref="BilinearKernel"/>)
    /// and the skip scorers start at zero, so each finer net starts as the coarser one, as in the paper.
    /// </summary>
    /// <param name="classes">K, the number of classes.</param>
    /// <param name="outputStride">32, 16 or 8: FCN-32s, FCN-16s or FCN-8s.</param>
    /// <param name="filters">f, the first block's filters.</param>
    /// <param name="batchNorm">False to leave out batch normalisation.</param>
    public static Graph Fcn(int classes, int outputStride = 8, int filters = 16, bool batchNorm = true)
    {
        CheckClasses(classes);
        if (outputStride is not (32 or 16 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(outputStride), outputStride, "FCN comes as FCN-32s, FCN-16s and FCN-8s: the output stride is 32, 16 or 8.");
        }

        var g = new Graph { Name = $"FCN-{outputStride}s" };
        var x = g.Add(new InputSizeCheck(32, "FCN's backbone halves the image 5 times"), g.Input, "size_check");
        int[] widths = [filters, 2 * filters, 4 * filters, 8 * filters, 8 * filters];
        var pools = new GraphNode[5];
        for (var b = 0; b < 5; b++)
        {
            x = Block(g, x, widths[b], 2, $"conv{b + 1}", batchNorm);
            x = pools[b] = g.Add(new MaxPool2D(2), x, $"pool{b + 1}");
        }

        x = ConvUnit(g, x, 16 * filters, 3, 1, "fc6", batchNorm);
        x = ConvUnit(g, x, 16 * filters, 1, 1, "fc7", batchNorm);
        var score = g.Add(new Conv2D(classes, 1), x, "score_fr");
        if (outputStride == 32)
        {
            return g.SetOutput(g.Add(Upscore(classes, 32), score, "upscore"));
        }

        var up = g.Add(Upscore(classes, 2), score, "upscore2");
        var fuse = g.Sum([up, g.Add(SkipScorer(classes), pools[3], "score_pool4")], "fuse_pool4");
        if (outputStride == 16)
        {
            return g.SetOutput(g.Add(Upscore(classes, 16), fuse, "upscore16"));
        }

        up = g.Add(Upscore(classes, 2), fuse, "upscore_pool4");
        fuse = g.Sum([up, g.Add(SkipScorer(classes), pools[2], "score_pool3")], "fuse_pool3");
        return g.SetOutput(g.Add(Upscore(classes, 8), fuse, "upscore8"));
    }

    /// <summary>
    /// U-Net (Ronneberger et al. 2015; seed 004 §5.1.2): <paramref name="depth"/> down steps (two convolutions, then a
    /// 2×2 max-pool; filters f, 2f, 4f, …), a bottleneck, and as many up steps (a 2×2 stride-2 transposed convolution, the
    /// encoder's feature map of the same size concatenated on channels, two convolutions), then 1×1 class scores.
    /// The output has the input's size when height and width are multiples of 2^depth; for other sizes building the
    /// network fails with an error that says so.
    /// </summary>
    /// <param name="classes">K, the number of classes.</param>
    /// <param name="depth">The number of down (and up) steps.</param>
    /// <param name="filters">f, the first level's filters.</param>
    /// <param name="batchNorm">False to leave out batch normalisation.</param>
    public static Graph UNet(int classes, int depth = 3, int filters = 16, bool batchNorm = true)
    {
        CheckClasses(classes);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(filters, 1);
        var g = new Graph { Name = $"U-Net-{depth}" };
        var x = g.Add(new InputSizeCheck(1 << depth, $"U-Net of depth {depth} halves the image {depth} times and concatenates each level with its mirror"), g.Input, "size_check");
        var skips = new GraphNode[depth];
        for (var level = 0; level < depth; level++)
        {
            x = skips[level] = Block(g, x, filters << level, 2, $"down{level + 1}", batchNorm);
            x = g.Add(new MaxPool2D(2), x, $"pool{level + 1}");
        }

        x = Block(g, x, filters << depth, 2, "bottleneck", batchNorm);
        for (var level = depth - 1; level >= 0; level--)
        {
            var up = g.Add(new ConvTranspose2D(filters << level, 2, stride: 2), x, $"up{level + 1}");
            x = g.Concat([up, skips[level]], $"skip{level + 1}");
            x = Block(g, x, filters << level, 2, $"upconv{level + 1}", batchNorm);
        }

        return g.SetOutput(g.Add(new Conv2D(classes, 1), x, "score"));
    }

    /// <summary>
    /// A DeepLab-style network (Chen et al., v2/v3; seed 004 §5.2): two convolution blocks with 2×2 max-pools (output
    /// stride 4), then dilated ("atrous") 3×3 convolutions with rates 2 and 4 that widen the receptive field without
    /// shrinking the map, then atrous spatial pyramid pooling (ASPP, v3 form: a 1×1 branch, one 3×3 branch per rate in
    /// <paramref name="rates"/>, and an image-pooling branch: global average, 1×1 convolution, broadcast back), concatenated
    /// and fused by a 1×1 convolution, then 1×1 class scores up-sampled 4× bilinearly.
    /// </summary>
    /// <param name="classes">K, the number of classes.</param>
    /// <param name="inputSize">The side of the (square) input images; a multiple of 4 (the image-pooling branch spans the whole map).</param>
    /// <param name="filters">f, the first block's filters (the dilated layers and ASPP have 4f).</param>
    /// <param name="rates">The atrous rates of ASPP's 3×3 branches; (1, 2, 3) by default for maps of a few pixels.</param>
    /// <param name="batchNorm">False to leave out batch normalisation (v3 adds it to ASPP).</param>
    public static Graph DeepLab(int classes, int inputSize, int filters = 16, IReadOnlyList<int>? rates = null, bool batchNorm = true)
    {
        CheckClasses(classes);
        var map = FeatureMapSide(inputSize, 4, "DeepLab's backbone pools twice");
        var g = new Graph { Name = "DeepLab" };
        var x = g.Add(new InputSizeCheck(4, "DeepLab's backbone pools twice"), g.Input, "size_check");
        x = Block(g, x, filters, 2, "conv1", batchNorm);
        x = g.Add(new MaxPool2D(2), x, "pool1");
        x = Block(g, x, 2 * filters, 2, "conv2", batchNorm);
        x = g.Add(new MaxPool2D(2), x, "pool2");
        x = ConvUnit(g, x, 4 * filters, 3, 2, "atrous1", batchNorm);
        x = ConvUnit(g, x, 4 * filters, 3, 4, "atrous2", batchNorm);
        x = Aspp(g, x, 4 * filters, map, rates ?? [1, 2, 3], batchNorm);
        var score = g.Add(new Conv2D(classes, 1), x, "score");
        return g.SetOutput(g.Add(new BilinearUpsampling(4), score, "upsample"));
    }

    /// <summary>
    /// PSPNet (Zhao et al. 2017; seed 004 §5.1.3): the encoder of <see cref="DeepLab"/> (dilated convolutions at output
    /// stride 4), then the pyramid pooling module — for each bin count b, average pooling to b×b, a 1×1 convolution and
    /// bilinear up-sampling back — concatenated with the encoder's map, fused by a 3×3 convolution, scored 1×1 and
    /// up-sampled 4× bilinearly.
    /// </summary>
    /// <param name="classes">K, the number of classes.</param>
    /// <param name="inputSize">The side of the (square) input images; the feature map's side inputSize/4 must be a multiple of every bin count.</param>
    /// <param name="filters">f, the first block's filters.</param>
    /// <param name="bins">The pyramid's bin counts; (1, 2, 4) by default (the paper's 1, 2, 3, 6 suit its 60×60 maps).</param>
    /// <param name="batchNorm">False to leave out batch normalisation.</param>
    public static Graph PspNet(int classes, int inputSize, int filters = 16, IReadOnlyList<int>? bins = null, bool batchNorm = true)
    {
        CheckClasses(classes);
        var map = FeatureMapSide(inputSize, 4, "PSPNet's encoder pools twice");
        bins ??= [1, 2, 4];
        foreach (var b in bins)
        {
            if (b < 1 || map % b != 0)
            {
                throw new ArgumentException(
                    $"PSPNet: the pyramid bin count {b} does not divide the {map}×{map} feature map of {inputSize}×{inputSize} images (output stride 4).", nameof(bins));
            }
        }

        var g = new Graph { Name = "PSPNet" };
        var x = g.Add(new InputSizeCheck(4, "PSPNet's encoder pools twice"), g.Input, "size_check");
        x = Block(g, x, filters, 2, "conv1", batchNorm);
        x = g.Add(new MaxPool2D(2), x, "pool1");
        x = Block(g, x, 2 * filters, 2, "conv2", batchNorm);
        x = g.Add(new MaxPool2D(2), x, "pool2");
        x = ConvUnit(g, x, 4 * filters, 3, 2, "atrous1", batchNorm);
        var encoder = ConvUnit(g, x, 4 * filters, 3, 4, "atrous2", batchNorm);
        var branches = new List<GraphNode> { encoder };
        foreach (var b in bins)
        {
            var window = map / b;
            var pooled = g.Add(new AvgPool2D(window), encoder, $"ppm{b}_pool");
            var reduced = ConvUnit(g, pooled, Math.Max(1, filters), 1, 1, $"ppm{b}", batchNorm);
            branches.Add(window == 1 ? reduced : g.Add(new BilinearUpsampling(window), reduced, $"ppm{b}_up"));
        }

        x = ConvUnit(g, g.Concat(branches, "pyramid"), 4 * filters, 3, 1, "fuse", batchNorm);
        var score = g.Add(new Conv2D(classes, 1), x, "score");
        return g.SetOutput(g.Add(new BilinearUpsampling(4), score, "upsample"));
    }

    /// <summary>Atrous spatial pyramid pooling on a map of side <paramref name="map"/>: branches concatenated, fused 1×1.</summary>
    private static GraphNode Aspp(Graph g, GraphNode x, int width, int map, IReadOnlyList<int> rates, bool batchNorm)
    {
        var branches = new List<GraphNode> { ConvUnit(g, x, width, 1, 1, "aspp_1x1", batchNorm) };
        foreach (var rate in rates)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(rate, 1, nameof(rates));
            branches.Add(ConvUnit(g, x, width, 3, rate, $"aspp_rate{rate}", batchNorm));
        }

        var pooled = g.Add(new AvgPool2D(map), x, "aspp_image_pool");

        // Batch normalisation of a 1×1 map would normalise over the batch alone: the image branch goes without.
        var image = ConvUnit(g, pooled, width, 1, 1, "aspp_image", batchNorm: false);
        branches.Add(map == 1 ? image : g.Add(new BilinearUpsampling(map), image, "aspp_image_up"));
        return ConvUnit(g, g.Concat(branches, "aspp"), width, 1, 1, "aspp_fuse", batchNorm);
    }

    private static GraphNode Block(Graph g, GraphNode x, int width, int convolutions, string name, bool batchNorm)
    {
        for (var i = 1; i <= convolutions; i++)
        {
            x = ConvUnit(g, x, width, 3, 1, $"{name}_{i}", batchNorm);
        }

        return x;
    }

    /// <summary>Convolution ("same" padding), optional batch normalisation, ReLU; returns the ReLU node, named <paramref name="name"/>.</summary>
    private static GraphNode ConvUnit(Graph g, GraphNode x, int width, int kernel, int dilation, string name, bool batchNorm)
    {
        x = g.Add(new Conv2D(width, kernel, padding: Padding.Same, dilation: dilation, useBias: !batchNorm, weightInitializer: new KaimingNormal()), x, $"{name}_conv");
        if (batchNorm)
        {
            x = g.Add(new BatchNormalization(), x, $"{name}_bn");
        }

        return g.Add(new ReLU(), x, name);
    }

    /// <summary>FCN's up-sampling: a transposed convolution of kernel 2f, stride f, padding f/2, started as bilinear interpolation.</summary>
    private static ConvTranspose2D Upscore(int classes, int factor) =>
        new(classes, 2 * factor, stride: factor, padding: factor / 2, useBias: false, weightInitializer: new BilinearKernel(2 * factor, classes));

    private static Conv2D SkipScorer(int classes) => new(classes, 1, weightInitializer: new Zeros(), biasInitializer: new Zeros());

    private static int FeatureMapSide(int inputSize, int stride, string reason)
    {
        if (inputSize < stride || inputSize % stride != 0)
        {
            throw new ArgumentException($"{reason}: the input side must be a positive multiple of {stride}; got {inputSize}.", nameof(inputSize));
        }

        return inputSize / stride;
    }

    private static void CheckClasses(int classes)
    {
        if (classes < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "Segmentation needs at least two classes (for example background and object).");
        }
    }
}
