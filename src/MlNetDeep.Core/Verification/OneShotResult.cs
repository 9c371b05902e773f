namespace MlNetDeep.Verification;

/// <summary>What <see cref="OneShotExperiment"/> measured on the identities never seen in training.</summary>
public sealed class OneShotResult
{
    /// <summary>ROC AUC of d over all pairs of the new identities' test examples (genuine: same identity).</summary>
    public required double Auc { get; init; }

    /// <summary>ROC AUC over the pairs of test examples of the training identities (people seen in training, other photos).</summary>
    public required double ValidationAuc { get; init; }

    /// <summary>TAR at the ROC point where FAR on those pairs is at most <see cref="OneShotOptions.FalseAcceptRate"/>.</summary>
    public required double TrueAcceptRate { get; init; }

    /// <summary>The threshold τ chosen on validation pairs (test examples of the training identities) for the target FAR.</summary>
    public required double Threshold { get; init; }

    /// <summary>The FAR that <see cref="Threshold"/> gives on the new identities' pairs (the chosen operating point, applied to unseen people).</summary>
    public required double FalseAcceptRateAtThreshold { get; init; }

    /// <summary>The TAR that <see cref="Threshold"/> gives on the new identities' pairs.</summary>
    public required double TrueAcceptRateAtThreshold { get; init; }

    /// <summary>Closed-set identification accuracy among the new identities, each enrolled from one example (mean over the enrolment draws).</summary>
    public required double OneShotAccuracy { get; init; }

    /// <summary>
    /// The softmax baseline's accuracy on the same test examples, its argmax taken over the new identities only (the same
    /// closed-set question), after retraining with one example of each new identity; NaN when not run.
    /// </summary>
    public required double BaselineAccuracy { get; init; }

    /// <summary>The encodings of the new identities' test examples, [N, d].</summary>
    public required Tensor Encodings { get; init; }

    /// <summary>The identity (class label) of each row of <see cref="Encodings"/>.</summary>
    public required int[] Identities { get; init; }

    /// <summary>The final triplet loss of the encoder's training.</summary>
    public required double FinalLoss { get; init; }

    /// <summary>The line the CLI prints: <c>AUC v TAR@FAR=1% v one-shot accuracy v</c>.</summary>
    public string Summary(double falseAcceptRate = 0.01) => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"AUC {Auc:F4} TAR@FAR={falseAcceptRate * 100:0.##}% {TrueAcceptRate:F4} one-shot accuracy {OneShotAccuracy:F4}");
}
