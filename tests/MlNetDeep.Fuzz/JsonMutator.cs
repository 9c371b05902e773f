using System.Text.Json.Nodes;

namespace MlNetDeep.Fuzz;

/// <summary>Semantic damage to a JSON document: a value replaced by a hostile one, a key dropped, an array element
/// removed, repeated or swapped — what a careless (or malicious) hand edit of a manifest does.</summary>
internal static class JsonMutator
{
    private static readonly Func<Random, JsonNode?>[] Hostile =
    [
        _ => null,
        _ => 0,
        _ => -1,
        _ => 11,
        _ => int.MaxValue,
        _ => 2147483648L,
        _ => long.MinValue,
        _ => 1e-30,
        _ => 1e300,
        _ => -0.0,
        _ => 0.5,
        _ => "NaN",
        _ => "",
        _ => "Features",
        _ => "Regression",
        _ => "BinaryClassification",
        _ => "network",
        _ => "mlnet",
        _ => "image",
        _ => true,
        _ => new JsonArray(),
        _ => new JsonArray(2147483647, 2147483647),
        _ => new JsonArray(-1, 28, 28),
        _ => new JsonObject(),
        r => r.Next(-3, 40),
    ];

    public static string Mutate(Random random, string json)
    {
        var root = JsonNode.Parse(json)!;
        var places = new List<(JsonNode Parent, object Key)>();
        Collect(root, places);
        var rounds = 1 + random.Next(2);
        for (var r = 0; r < rounds && places.Count > 0; r++)
        {
            var (parent, key) = places[random.Next(places.Count)];
            switch (parent, key, random.Next(5))
            {
                case (JsonObject o, string k, 0):
                    o.Remove(k);
                    break;
                case (JsonArray a, int i, 0) when i < a.Count:
                    a.RemoveAt(i);
                    break;
                case (JsonArray a, int i, 1) when i < a.Count:
                    a.Add(a[i]?.DeepClone());
                    break;
                case (JsonArray a, int i, 2) when i < a.Count && a.Count > 1:
                    var j = random.Next(a.Count);
                    var (x, y) = (a[i]?.DeepClone(), a[j]?.DeepClone());
                    a[i] = y;
                    a[j] = x;
                    break;
                case (JsonObject o, string k, _):
                    o[k] = Hostile[random.Next(Hostile.Length)](random);
                    break;
                case (JsonArray a, int i, _) when i < a.Count:
                    a[i] = Hostile[random.Next(Hostile.Length)](random);
                    break;
            }
        }

        return root.ToJsonString();
    }

    private static void Collect(JsonNode node, List<(JsonNode, object)> places)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                {
                    places.Add((o, key));
                    if (child is not null)
                    {
                        Collect(child, places);
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    places.Add((a, i));
                    if (a[i] is { } child)
                    {
                        Collect(child, places);
                    }
                }

                break;
        }
    }
}
