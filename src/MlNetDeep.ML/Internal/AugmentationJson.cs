using System.Text.Json.Nodes;
using MlNetDeep.Data;
using MlNetDeep.Vision;

namespace MlNetDeep.ML.Internal;

/// <summary>Describes MlNetDeep.Vision's steps as JSON and re-creates them, for annotations and saved pipelines.</summary>
internal static class AugmentationJson
{
    public static JsonObject Describe(ImageAugmentation step)
    {
        var random = step is RandomImageAugmentation { AlwaysRandom: true };
        JsonObject node = step switch
        {
            RandomMirror m => new() { ["kind"] = "RandomMirror", ["horizontal"] = m.HorizontalProbability, ["vertical"] = m.VerticalProbability },
            RandomCrop c => new() { ["kind"] = "RandomCrop", ["height"] = c.Height, ["width"] = c.Width },
            PcaColorShift p => new()
            {
                ["kind"] = "PcaColorShift",
                ["sigma"] = p.Sigma,
                ["eigenvalues"] = Array(p.Eigenvalues),
                ["eigenvectors"] = Array(p.EigenvectorMatrix().Cast<double>()),
            },
            RandomRotation r => new() { ["kind"] = "RandomRotation", ["maxDegrees"] = r.MaxDegrees, ["fill"] = r.Fill },
            RandomScaling s => new() { ["kind"] = "RandomScaling", ["minScale"] = s.MinScale, ["maxScale"] = s.MaxScale, ["fill"] = s.Fill },
            Brightness b => new() { ["kind"] = "Brightness", ["maxDelta"] = b.MaxDelta },
            GaussianBlur g => new() { ["kind"] = "GaussianBlur", ["sigmaMax"] = g.SigmaMax, ["probability"] = g.Probability },
            RandomTranslation t => new() { ["kind"] = "RandomTranslation", ["maxShiftX"] = t.MaxShiftX, ["maxShiftY"] = t.MaxShiftY, ["fill"] = t.Fill },
            ChannelNormalizer n => new() { ["kind"] = "ChannelNormalizer", ["mean"] = Array(n.Mean), ["std"] = Array(n.StandardDeviation) },
            FeatureNormalizer f => new() { ["kind"] = "FeatureNormalizer", ["mean"] = Array(f.Standardizer.Mean), ["std"] = Array(f.Standardizer.StandardDeviation) },
            AugmentationPipeline pipeline => new() { ["kind"] = "AugmentationPipeline", ["steps"] = new JsonArray([.. pipeline.Steps.Select(Describe)]) },
            _ => throw new NotSupportedException($"{step.GetType().Name} cannot be described; MlNetDeep saves its own Vision steps only."),
        };
        if (random)
        {
            node["alwaysRandom"] = true;
        }

        return node;
    }

    public static ImageAugmentation Create(JsonNode node)
    {
        var always = (bool?)node["alwaysRandom"] ?? false;
        return (string?)node["kind"] switch
        {
            "RandomMirror" => new RandomMirror(D(node, "horizontal"), D(node, "vertical")) { AlwaysRandom = always },
            "RandomCrop" => new RandomCrop(I(node, "height"), I(node, "width")) { AlwaysRandom = always },
            "PcaColorShift" => new PcaColorShift(Doubles(node, "eigenvalues"), Matrix(Doubles(node, "eigenvectors")), D(node, "sigma")) { AlwaysRandom = always },
            "RandomRotation" => new RandomRotation(D(node, "maxDegrees"), F(node, "fill")) { AlwaysRandom = always },
            "RandomScaling" => new RandomScaling(D(node, "minScale"), D(node, "maxScale"), F(node, "fill")) { AlwaysRandom = always },
            "Brightness" => new Brightness(F(node, "maxDelta")) { AlwaysRandom = always },
            "GaussianBlur" => new GaussianBlur(D(node, "sigmaMax"), D(node, "probability")) { AlwaysRandom = always },
            "RandomTranslation" => new RandomTranslation(I(node, "maxShiftX"), I(node, "maxShiftY"), F(node, "fill")) { AlwaysRandom = always },
            "ChannelNormalizer" => new ChannelNormalizer(Floats(node, "mean"), Floats(node, "std")),
            "FeatureNormalizer" => new FeatureNormalizer(new Standardizer(Floats(node, "mean"), Floats(node, "std"))),
            "AugmentationPipeline" => new AugmentationPipeline(Required(node, "steps").AsArray().Select(s => Create(s!))),
            var kind => throw new InvalidDataException($"unknown image step '{kind}'."),
        };
    }

    private static JsonArray Array(IEnumerable<double> values) => new([.. values.Select(v => (JsonNode)v)]);

    private static JsonArray Array(IEnumerable<float> values) => new([.. values.Select(v => (JsonNode)v)]);

    private static JsonNode Required(JsonNode node, string key) =>
        node[key] ?? throw new InvalidDataException($"image step '{(string?)node["kind"]}' has no '{key}'.");

    private static double D(JsonNode node, string key) => (double)Required(node, key);

    private static float F(JsonNode node, string key) => (float)Required(node, key);

    private static int I(JsonNode node, string key) => (int)Required(node, key);

    private static double[] Doubles(JsonNode node, string key) => [.. Required(node, key).AsArray().Select(v => (double)v!)];

    private static float[] Floats(JsonNode node, string key) => [.. Required(node, key).AsArray().Select(v => (float)v!)];

    private static double[,] Matrix(double[] values)
    {
        if (values.Length != 9)
        {
            throw new InvalidDataException($"PCA colour shift needs 9 eigenvector entries; the file has {values.Length}.");
        }

        var matrix = new double[3, 3];
        for (var k = 0; k < 9; k++)
        {
            matrix[k / 3, k % 3] = values[k];
        }

        return matrix;
    }
}
