using System.Text.Json;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Experiments;

/// <summary>One trial of a search: its settings, its score on the held-out rows (the mean over the seeds), its curves.</summary>
public sealed class TrialResult
{
    /// <summary>The trial's number (0 is the baseline recipe).</summary>
    public int Trial { get; init; }

    /// <summary>The settings the search chose (name → value), in the order of the space.</summary>
    public IReadOnlyDictionary<string, JsonElement> Settings { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>The recipe the trial trained.</summary>
    public TrainingRecipe Recipe { get; init; } = new();

    /// <summary>The held-out accuracy (classification) or RMSE (regression), mean over the seeds; NaN when every seed failed.</summary>
    public double Score { get; init; }

    /// <summary>The mean held-out loss over the seeds at the last epoch, or NaN.</summary>
    public double ValidationLoss { get; init; }

    /// <summary>Seconds of training, all seeds.</summary>
    public double Seconds { get; init; }

    /// <summary>"ok", "diverged at epoch E, batch B" or the error; "baseline" marks trial 0.</summary>
    public string Status { get; init; } = "ok";

    /// <summary>The first seed's per-epoch curves.</summary>
    public TrainingHistory? History { get; init; }

    /// <summary>True for trial 0, the recipe as given.</summary>
    public bool IsBaseline => Trial == 0;
}
