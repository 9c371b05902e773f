using Google.Protobuf;
using MlNetDeep.Layers;
using MlNetDeep.ML;
using MlNetDeep.Onnx.Protobuf;
using MlNetDeep.Vision;

namespace MlNetDeep.Onnx.Internal;

/// <summary>
/// The ONNX graphs that replace MlNetDeep's stages in a stock ML.NET pipeline. ML.NET's ApplyOnnxModel feeds one row at a
/// time and gives every output the declared shape, so these graphs take and give one sample, without a batch dimension:
/// a scalar output is then a scalar column and a [K] output a Vector&lt;Single, K&gt;, as MlNetDeep's own columns are.
/// </summary>
internal static class ScoringGraphs
{
    /// <summary>
    /// The scoring form of an image step: random steps are the identity (a random crop is the centre crop), normalisation
    /// applies its fitted statistics. A step that stays random when scoring (AlwaysRandom) or that MlNetDeep cannot write
    /// is an error naming it.
    /// </summary>
    public static byte[] ImageStep(ImageAugmentationTransformer step, string input, string output, int[] inputDims, int[] outputDims)
    {
        var graph = new OnnxGraphBuilder { };
        graph.Graph.Name = step.OutputColumnName;
        var value = graph.Reserve(input);
        var shape = step.InputShape;
        value = graph.Node("Reshape", "image", [value, graph.Int64s("image.shape", shape.Channels, shape.Height, shape.Width)]);
        value = Scoring(graph, step.Augmentation, value, ref shape, step.OutputColumnName);
        value = graph.Node("Reshape", "image", [value, graph.Int64s("image.output_shape", [.. outputDims.Select(d => (long)d)])]);
        graph.Reserve(output);
        graph.Rename(value, output);
        return OnnxExport.Package(graph, [OnnxValue.Float(input, inputDims)], [OnnxValue.Float(output, outputDims)], null).ToByteArray();
    }

    private static string Scoring(OnnxGraphBuilder graph, ImageAugmentation step, string value, ref ImageShape shape, string column)
    {
        switch (step)
        {
            case AugmentationPipeline pipeline:
                foreach (var inner in pipeline.Steps)
                {
                    value = Scoring(graph, inner, value, ref shape, column);
                }

                return value;
            case RandomImageAugmentation { AlwaysRandom: true }:
                throw new NotSupportedException(
                    $"The image step {step.GetType().Name} writing column '{column}' is AlwaysRandom: it draws at random when scoring too, "
                    + "which stock ML.NET cannot reproduce. Fit the pipeline without AlwaysRandom to convert it.");
            case RandomCrop crop:
            {
                // The centre crop, as RandomCrop scores.
                var (top, left) = ((shape.Height - crop.Height) / 2, (shape.Width - crop.Width) / 2);
                var cropped = graph.Node(
                    "Slice", "crop",
                    [value, graph.Int64s("crop.starts", 0, top, left), graph.Int64s("crop.ends", shape.Channels, top + crop.Height, left + crop.Width)]);
                shape = new ImageShape(shape.Channels, crop.Height, crop.Width);
                return cropped;
            }

            case RandomImageAugmentation:
                return value;
            case ChannelNormalizer normalizer:
            {
                // (x − μ_c)·(1/σ_c), with 1/σ_c rounded to float as the step computes it.
                var c = shape.Channels;
                var inverse = normalizer.StandardDeviation.Select(s => 1f / s).ToArray();
                var centred = graph.Node("Sub", "normalize", [value, graph.Initializer("normalize.mean", [.. normalizer.Mean], c, 1, 1)]);
                return graph.Node("Mul", "normalize", [centred, graph.Initializer("normalize.inverse_std", inverse, c, 1, 1)]);
            }

            case FeatureNormalizer normalizer:
            {
                var (c, h, w) = (shape.Channels, shape.Height, shape.Width);
                var centred = graph.Node("Sub", "standardize", [value, graph.Initializer("standardize.mean", [.. normalizer.Standardizer.Mean], c, h, w)]);
                return graph.Node("Div", "standardize", [centred, graph.Initializer("standardize.std", [.. normalizer.Standardizer.StandardDeviation], c, h, w)]);
            }

            default:
                throw new NotSupportedException(
                    $"The image step {step.GetType().Name} writing column '{column}' has no ONNX form; stock ML.NET conversion covers "
                    + "RandomCrop (centre crop), NormalizeChannels, NormalizeInput and the random steps (identity when scoring).");
        }
    }

    /// <summary>
    /// The network's outputs for one sample as a [K] vector (logits for classification, the value for regression), NaN when
    /// a feature or an output is not finite (MlNetDeep's rule for a row without a score). ML.NET's own scorer turns it into
    /// the task's columns.
    /// </summary>
    public static byte[] Network(NeuralNetworkTransformer model, string input, int[] inputDims, string output)
    {
        var network = model.Network;
        var graph = new OnnxGraphBuilder();
        graph.Graph.Name = network.Name;
        var x = graph.Reserve(input);
        long[] batched = [1, .. model.FeatureShape.Select(d => (long)d)];
        var value = graph.Node("Reshape", "input", [x, graph.Int64s("input.shape", batched)]);
        var logits = graph.Export(network, value);
        var k = model.OutputCount;
        var flat = graph.Node("Reshape", "output", [logits, graph.Int64s("output.shape", k)]);
        var bad = graph.Node("Or", "finite", [AnyNonFinite(graph, x), AnyNonFinite(graph, flat)]);
        Output(graph, graph.Node("Where", "output", [bad, graph.Scalar("output.nan", float.NaN), flat]), output);
        return OnnxExport.Package(graph, [OnnxValue.Float(input, inputDims)], [OnnxValue.Float(output, [k])], null).ToByteArray();
    }

    private static void Output(OnnxGraphBuilder graph, string value, string name)
    {
        graph.Reserve(name);
        graph.Rename(value, name);
    }

    /// <summary>A boolean scalar: true when any value of <paramref name="value"/> is NaN or infinite.</summary>
    private static string AnyNonFinite(OnnxGraphBuilder graph, string value)
    {
        var nonFinite = graph.Node("Or", "finite", [graph.Node("IsNaN", "finite", [value]), graph.Node("IsInf", "finite", [value])]);
        var count = graph.Node("ReduceMax", "finite", [graph.Node("Cast", "finite", [nonFinite], OnnxAttributes.Int("to", (long)TensorProto.Types.DataType.Float))], OnnxAttributes.Int("keepdims", 0));
        return graph.Node("Greater", "finite", [count, graph.Scalar("finite.zero", 0f)]);
    }
}
