using MlNetDeep.ML.Evaluation;

namespace MlNetDeep.Tests.ML.Evaluation;

public sealed class BiasVarianceDiagnosisTests
{
    // Seed 000, section 1.7, table 1.1 (base error near 0%).
    [TestCase(0.01, 0.11, BiasVarianceVerdict.HighVariance)]
    [TestCase(0.15, 0.16, BiasVarianceVerdict.HighBias)]
    [TestCase(0.15, 0.30, BiasVarianceVerdict.HighBiasAndHighVariance)]
    [TestCase(0.005, 0.01, BiasVarianceVerdict.Fine)]
    public void Table11RowsGiveTheBookVerdicts(double train, double validation, BiasVarianceVerdict expected)
    {
        var diagnosis = BiasVarianceDiagnosis.FromErrors(train, validation);
        Assert.That(diagnosis.Verdict, Is.EqualTo(expected));
        Assert.That(diagnosis.AvoidableBias, Is.EqualTo(train).Within(1e-12));
        Assert.That(diagnosis.Variance, Is.EqualTo(validation - train).Within(1e-12));
        Assert.That(diagnosis.BaseError, Is.Zero);
        Assert.That(diagnosis.Threshold, Is.EqualTo(0.05));
    }

    [Test]
    public void BaseErrorTurnsHighTrainingErrorIntoUnavoidableError()
    {
        // 15% training error is fine when humans get 14% wrong too.
        var diagnosis = BiasVarianceDiagnosis.FromErrors(0.15, 0.16, baseError: 0.14);
        Assert.That(diagnosis.Verdict, Is.EqualTo(BiasVarianceVerdict.Fine));
        Assert.That(diagnosis.AvoidableBias, Is.EqualTo(0.01).Within(1e-12));
    }

    [Test]
    public void ThresholdIsConfigurable()
    {
        Assert.That(BiasVarianceDiagnosis.FromErrors(0.01, 0.04).Verdict, Is.EqualTo(BiasVarianceVerdict.Fine));
        Assert.That(BiasVarianceDiagnosis.FromErrors(0.01, 0.04, threshold: 0.02).Verdict, Is.EqualTo(BiasVarianceVerdict.HighVariance));
        Assert.That(BiasVarianceDiagnosis.FromErrors(0.15, 0.30, threshold: 0.2).Verdict, Is.EqualTo(BiasVarianceVerdict.Fine));
    }

    [Test]
    public void RecommendationFollowsTheVerdict()
    {
        var bias = BiasVarianceDiagnosis.FromErrors(0.15, 0.16).Recommendation;
        var variance = BiasVarianceDiagnosis.FromErrors(0.01, 0.11).Recommendation;
        var both = BiasVarianceDiagnosis.FromErrors(0.15, 0.30).Recommendation;
        Assert.That(bias, Does.Contain("bigger network").And.Contain("train longer").And.Contain("architecture"));
        Assert.That(bias, Does.Not.Contain("dropout"));
        Assert.That(variance, Does.Contain("more training data").And.Contain("L2").And.Contain("dropout").And.Contain("augmentation").And.Contain("stop early"));
        Assert.That(variance, Does.Not.Contain("bigger network"));
        Assert.That(both, Does.Contain("bigger network").And.Contain("dropout"));
        Assert.That(BiasVarianceDiagnosis.FromErrors(0.005, 0.01).Recommendation, Does.Contain("no change"));
    }

    [Test]
    public void ToStringStatesVerdictAndNumbers()
    {
        var text = BiasVarianceDiagnosis.FromErrors(0.01, 0.11).ToString();
        Assert.That(text, Does.StartWith("High variance (overfitting)"));
        Assert.That(text, Does.Contain("training error 1.00%").And.Contain("validation error 11.00%").And.Contain("base error 0.00%"));
        Assert.That(text, Does.Contain("variance 10.00 points").And.Contain("threshold 5.00 points"));
        Assert.That(BiasVarianceDiagnosis.FromErrors(0.15, 0.30).ToString(), Does.StartWith("High bias and high variance"));
        Assert.That(BiasVarianceDiagnosis.FromErrors(0.15, 0.16).ToString(), Does.StartWith("High bias (underfitting)"));
        Assert.That(BiasVarianceDiagnosis.FromErrors(0.005, 0.01).ToString(), Does.StartWith("Low bias and low variance"));
    }

    [TestCase(-0.1, 0.1, 0, 0.05, "trainingError")]
    [TestCase(0.1, 1.5, 0, 0.05, "validationError")]
    [TestCase(0.1, double.NaN, 0, 0.05, "validationError")]
    [TestCase(0.1, 0.1, -1, 0.05, "baseError")]
    [TestCase(0.1, 0.1, 0, 1, "threshold")]
    [TestCase(0.1, 0.1, 0, -0.01, "threshold")]
    public void RejectsOutOfRangeInputs(double train, double validation, double baseError, double threshold, string parameter)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => BiasVarianceDiagnosis.FromErrors(train, validation, baseError, threshold));
        Assert.That(ex!.ParamName, Is.EqualTo(parameter));
    }
}
