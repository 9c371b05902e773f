using System.Globalization;
using Spectre.Console;

namespace MlNetDeep.Cli;

/// <summary>Parses <c>mlnetdeep &lt;command&gt; [--option value ...]</c> and dispatches.</summary>
internal static class CommandLine
{
    private const string Usage = """
        usage: mlnetdeep <command> [options]

        commands:
          train   train a network on datasets/mnist through an ML.NET pipeline and report test accuracy,
                  macro precision, recall and F1
                  --model lenet5|lenet5-bn|lenet5-classic|inception|mlp (lenet5)
                  --epochs N (10)  --batch-size N (32; mlp 64)  --lr X (0.005, one-cycle peak)  --hidden 256,128
                  --keep-prob X (0.8; mlp 0.9)  --schedule one-cycle|cosine|constant
                  --init kaiming|xavier|fan-in (kaiming)  --l2 X (0.0001)  --label-smoothing X (0.1)  --shift N (0: ±N-pixel random translation while training)
                  --seed N (0)  --data DIR (datasets/mnist)  --save FILE
          augment-preview
                  write a PNG grid of augmented samples of real photos: one row per photo, the original (resized)
                  then the samples an augmentation recipe draws while training (sample k = epoch k)
                  --images a.png,b.png (datasets/images: astronaut, chelsea, coffee)  --out FILE (augment-preview.png)
                  --recipe alexnet|small (alexnet)  --samples N (8)  --size N (256)  --seed N (0)
                  --pca-sigma X (0.1, AlexNet's; 0.5 makes the colour shift visible)
        """;

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 1 : 0;
        }

        try
        {
            var options = ParseOptions(args.AsSpan(1));
            return args[0] switch
            {
                "train" => TrainCommand.Run(options),
                "augment-preview" => AugmentPreviewCommand.Run(options),
                _ => throw new ArgumentException($"Unknown command '{args[0]}'."),
            };
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or InvalidDataException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }

    private static Dictionary<string, string> ParseOptions(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Expected '--option value' but got '{args[i]}'.");
            }

            options[args[i][2..]] = args[++i];
        }

        return options;
    }

    public static int Int(this Dictionary<string, string> o, string name, int fallback) =>
        o.Remove(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public static float Float(this Dictionary<string, string> o, string name, float fallback) =>
        o.Remove(name, out var v) ? float.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public static string? Text(this Dictionary<string, string> o, string name) => o.Remove(name, out var v) ? v : null;

    public static void RejectUnknown(this Dictionary<string, string> o)
    {
        if (o.Count > 0)
        {
            throw new ArgumentException($"Unknown option(s): {string.Join(", ", o.Keys.Select(k => "--" + k))}.");
        }
    }
}
