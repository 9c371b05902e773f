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

    /// <summary>Re-creates a step described by <see cref="Describe"/>; every field is checked (the JSON comes from a file).</summary>
    /// <exception cref="InvalidDataException">A field is missing, of the wrong type or out of range; the message says where.</exception>
    public static ImageAugmentation Create(JsonObject node, string where)
    {
        var kind = JsonFields.String(node, "kind", where);
        where = $"{where} ({kind})";
        var always = JsonFields.OptionalBoolean(node, "alwaysRandom", where, false);
        double D(string key) => JsonFields.Double(node, key, where);
        float F(string key) => JsonFields.Single(node, key, where);
        int I(string key) => JsonFields.Int32(node, key, where);
        try
        {
            return kind switch
            {
                "RandomMirror" => new RandomMirror(D("horizontal"), D("vertical")) { AlwaysRandom = always },
                "RandomCrop" => new RandomCrop(I("height"), I("width")) { AlwaysRandom = always },
                "PcaColorShift" => new PcaColorShift(JsonFields.Doubles(node, "eigenvalues", where), Matrix(JsonFields.Doubles(node, "eigenvectors", where)), D("sigma")) { AlwaysRandom = always },
                "RandomRotation" => new RandomRotation(D("maxDegrees"), F("fill")) { AlwaysRandom = always },
                "RandomScaling" => new RandomScaling(D("minScale"), D("maxScale"), F("fill")) { AlwaysRandom = always },
                "Brightness" => new Brightness(F("maxDelta")) { AlwaysRandom = always },
                "GaussianBlur" => new GaussianBlur(D("sigmaMax"), D("probability")) { AlwaysRandom = always },
                "RandomTranslation" => new RandomTranslation(I("maxShiftX"), I("maxShiftY"), F("fill")) { AlwaysRandom = always },
                "ChannelNormalizer" => new ChannelNormalizer(JsonFields.Singles(node, "mean", where), JsonFields.Singles(node, "std", where)),
                "FeatureNormalizer" => new FeatureNormalizer(new Standardizer(JsonFields.Singles(node, "mean", where), JsonFields.Singles(node, "std", where))),
                "AugmentationPipeline" => new AugmentationPipeline(JsonFields.Array(node, "steps", where)
                    .Select((s, i) => Create(JsonFields.Object(s, $"{where}'s step {i}"), $"{where}'s step {i}")).ToList()),
                _ => throw new InvalidDataException($"{where}: unknown image step '{kind}'."),
            };
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{where} has invalid settings: {e.Message}", e);
        }
    }

    private static JsonArray Array(IEnumerable<double> values) => new([.. values.Select(v => (JsonNode)v)]);

    private static JsonArray Array(IEnumerable<float> values) => new([.. values.Select(v => (JsonNode)v)]);

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
