namespace MlNetDeep.ML.Experiments;

/// <summary>The search of an experiment: the space, the strategy and the budget.</summary>
public sealed class SearchSettings
{
    /// <summary>The settings to vary (names of <see cref="TrainingRecipe.Parameters"/>) and their ranges.</summary>
    public Dictionary<string, ParameterRange> Space { get; set; } = [];

    /// <summary>The strategy.</summary>
    public SearchStrategy Strategy { get; set; } = SearchStrategy.Random;

    /// <summary>The budget in trials (configurations; each is trained once per seed).</summary>
    public int Trials { get; set; } = 12;

    /// <summary>
    /// An optional budget in minutes: no trial starts once it is spent. A time budget makes the number of trials depend on
    /// the machine, so only a trial budget reproduces the same table.
    /// </summary>
    public double? Minutes { get; set; }

    /// <summary>Seeds the draws of the search (not the training, which the experiment's seeds set).</summary>
    public int Seed { get; set; }

    /// <summary>Grid: values per numeric setting.</summary>
    public int GridPoints { get; set; } = 3;

    /// <summary>Coarse to fine: the rounds the trials are split into.</summary>
    public int Rounds { get; set; } = 3;

    /// <summary>Coarse to fine: how many of the best trials the next round's ranges span.</summary>
    public int KeepBest { get; set; } = 3;

    /// <summary>Successive halving: η, the factor by which the trials shrink and the epochs grow at each rung.</summary>
    public int Eta { get; set; } = 3;

    internal void Validate()
    {
        if (Trials < 1 || Trials > 100_000)
        {
            throw new ArgumentException($"search.trials must be an integer from 1 to 100000; got {Trials}.");
        }

        if (Minutes is { } m && !(m > 0))
        {
            throw new ArgumentException($"search.minutes must be > 0; got {m}.");
        }

        if (GridPoints < 1 || Rounds < 1 || KeepBest < 1 || Eta < 2)
        {
            throw new ArgumentException($"search: gridPoints, rounds and keepBest must be ≥ 1 and eta ≥ 2; got {GridPoints}, {Rounds}, {KeepBest}, {Eta}.");
        }

        foreach (var (name, range) in Space)
        {
            if (!TrainingRecipe.Parameters.Contains(name))
            {
                throw new ArgumentException($"search.space: '{name}' is not a setting a search can vary; expected one of {string.Join(", ", TrainingRecipe.Parameters)}.");
            }

            range.Validate(name);
        }
    }
}
