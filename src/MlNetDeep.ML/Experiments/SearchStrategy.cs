namespace MlNetDeep.ML.Experiments;

/// <summary>How a search picks its trials.</summary>
public enum SearchStrategy
{
    /// <summary>Independent draws from the space (the notes' advice: random rather than grid, each trial tries a new value of every setting).</summary>
    Random,

    /// <summary>Every combination of <see cref="SearchSettings.GridPoints"/> values per numeric setting and every choice, up to the budget.</summary>
    Grid,

    /// <summary>Random rounds; after each, every numeric range narrows to the span of the best trials (coarse to fine).</summary>
    CoarseToFine,

    /// <summary>Many trials trained briefly; the best 1/η go on with η times the epochs, until the full epochs (successive halving).</summary>
    SuccessiveHalving,
}
