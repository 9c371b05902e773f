using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlNetDeep.ML.Experiments;

/// <summary>
/// An experiment as data (a JSON file): the data set, the recipe to start from (the network by name with its
/// parameters, optimizer, schedule, epochs), the seeds, and the search. Relative paths are relative to the file.
/// </summary>
/// <example>
/// <code>
/// {
///   "name": "mnist-mlp",
///   "data": { "dataset": "../datasets/mnist" },
///   "recipe": { "model": "mlp", "hidden": [128], "epochs": 2, "batchSize": 64 },
///   "seeds": [0],
///   "search": {
///     "strategy": "random", "trials": 12, "seed": 1,
///     "space": {
///       "learningRate": { "type": "log-uniform", "min": 1e-4, "max": 1 },
///       "l2": { "type": "log-uniform", "min": 1e-6, "max": 1e-2 }
///     }
///   }
/// }
/// </code>
/// </example>
public sealed class ExperimentDefinition
{
    /// <summary>The experiment's name (the leaderboard's title).</summary>
    public string Name { get; set; } = "experiment";

    /// <summary>The data set and how to read it.</summary>
    public DataSettings Data { get; set; } = new();

    /// <summary>The recipe every trial starts from; a trial changes the settings of the search space.</summary>
    public TrainingRecipe Recipe { get; set; } = new();

    /// <summary>Each trial trains once per seed; its score is the mean.</summary>
    public int[] Seeds { get; set; } = [0];

    /// <summary>The search; none (one trial of the recipe) when null.</summary>
    public SearchSettings? Search { get; set; }

    /// <summary>Also train the recipe as it is (trial 0, "baseline"), for comparison; it is not a candidate for the best.</summary>
    public bool Baseline { get; set; } = true;

    /// <summary>The folder of the file the definition was read from (relative data paths start there).</summary>
    [JsonIgnore]
    public string BaseDirectory { get; set; } = Environment.CurrentDirectory;

    /// <summary>Reads an experiment file.</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON or has an unknown field; the message names the path, line and field.</exception>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public static ExperimentDefinition Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ExperimentDefinition definition;
        try
        {
            definition = JsonSerializer.Deserialize<ExperimentDefinition>(File.ReadAllText(path), TrainingRecipe.Json)
                ?? throw new InvalidDataException($"'{path}' holds null; expected an experiment object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid experiment file: {e.Message}", e);
        }

        definition.BaseDirectory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        definition.Validate();
        return definition;
    }

    /// <summary>The definition as JSON (what the results folder keeps beside the leaderboard).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, TrainingRecipe.Json);

    /// <summary>Throws naming the first value out of range.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Data?.Dataset, "data.dataset");
        Recipe.Validate();
        if (Seeds is not { Length: > 0 })
        {
            throw new ArgumentException("seeds must list at least one seed.");
        }

        Search?.Validate();
    }

    /// <summary>The data set of an experiment.</summary>
    public sealed class DataSettings
    {
        /// <summary>A CSV/TSV file, a folder of MNIST IDX files or an image folder (see <see cref="UserDataset"/>).</summary>
        public string Dataset { get; set; } = string.Empty;

        /// <summary>The label column of a text file.</summary>
        public string LabelColumn { get; set; } = "Label";

        /// <summary>The feature columns of a text file; all others when null.</summary>
        public string[]? FeatureColumns { get; set; }

        /// <summary>multiclass, binary or regression; inferred when null.</summary>
        public string? Task { get; set; }

        /// <summary>The side images are resized to.</summary>
        public int ImageSize { get; set; } = 32;

        /// <summary>The share of rows held out to score the trials, when the data set has no test part.</summary>
        public double TestFraction { get; set; } = 0.2;
    }
}
