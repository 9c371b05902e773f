namespace MlNetDeep.Training;

/// <summary>What <see cref="Trainer"/> found when it stopped a run with <see cref="TrainingDivergedException"/>.</summary>
public enum DivergenceCause
{
    /// <summary>The mini-batch loss became NaN or infinite.</summary>
    NonFiniteLoss,

    /// <summary>
    /// The mini-batch loss, though finite, exceeded <see cref="TrainingOptions.DivergenceFactor"/> times the loss the
    /// untrained network had at the start of the run.
    /// </summary>
    LossExploded,

    /// <summary>An output of the network (a logit, or a predicted value) became NaN or infinite in the forward pass.</summary>
    NonFiniteOutputs,

    /// <summary>The gradient of a parameter became NaN or infinite in the backward pass (and the update spread it into the parameter).</summary>
    NonFiniteGradient,

    /// <summary>A parameter became NaN or infinite in the optimizer's update, from a finite gradient.</summary>
    NonFiniteParameter,
}
