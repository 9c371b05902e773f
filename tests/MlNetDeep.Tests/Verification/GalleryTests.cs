using MlNetDeep.Verification;

namespace MlNetDeep.Tests.Verification;

/// <summary>One-shot enrolment, verification and identification with "unknown"; AUC and the threshold for a target FAR.</summary>
public class GalleryTests
{
    [Test]
    public void IdentifyReturnsTheNearestEnrolledIdentityOrUnknown()
    {
        var gallery = new Gallery(2);
        gallery.Enrol("ada", [0, 0]);
        gallery.Enrol("bob", [3, 0]);
        gallery.Enrol("bob", [0, 3]);
        Assert.That(gallery.Identities, Is.EqualTo(new[] { "ada", "bob" }));
        Assert.That(gallery.Count, Is.EqualTo(3));

        var near = gallery.Identify([0.5f, 2.5f], threshold: 1);
        Assert.That(near, Is.EqualTo(new Identification("bob", "bob", 0.5)));
        var far = gallery.Identify([10, 10], threshold: 1);
        Assert.That(far.IsUnknown, Is.True);
        Assert.That(far.Nearest, Is.EqualTo("bob"));

        var (distance, same) = gallery.Verify("ada", [0.6f, 0.8f], 1.01);
        Assert.That(distance, Is.EqualTo(1.0).Within(1e-6));
        Assert.That(same, Is.True);
        Assert.That(gallery.Verify("ada", [3, 0], 1.0).SameIdentity, Is.False);
        Assert.Throws<KeyNotFoundException>(() => gallery.Verify("eve", [0, 0], 1));
        var e = Assert.Throws<ArgumentException>(() => gallery.Enrol("eve", [0, 0, 0]));
        Assert.That(e!.Message, Does.Contain("has 3 values; the gallery holds encodings of 2"));
        Assert.That(Similarity.Verify([0, 0], [1, 1], 2), Is.EqualTo((2.0, true)));
    }

    [Test]
    public void AucAndThresholdForAFalseAcceptRateByHand()
    {
        double[] genuine = [0.1, 0.4, 0.35];
        double[] impostor = [0.8, 0.3, 0.4, 0.9];

        // Pairs (g < i): 0.1 beats 4; 0.4 beats 0.8, 0.9 and ties 0.4 (½); 0.35 beats 0.8, 0.4, 0.9. (4 + 2.5 + 3) / 12.
        Assert.That(VerificationMetrics.Auc(genuine, impostor), Is.EqualTo(9.5 / 12).Within(1e-12));

        // FAR ≤ 25 % of 4 impostors allows one accepted impostor (0.3): τ is just below 0.4.
        var tau = VerificationMetrics.ThresholdForFalseAcceptRate(impostor, 0.25);
        Assert.That(VerificationMetrics.AcceptRate(impostor, tau), Is.EqualTo(0.25));
        Assert.That(tau, Is.LessThan(0.4).And.GreaterThanOrEqualTo(0.3));
        Assert.That(VerificationMetrics.AcceptRate(genuine, tau), Is.EqualTo(2.0 / 3));
        Assert.That(VerificationMetrics.AcceptRate(impostor, VerificationMetrics.ThresholdForFalseAcceptRate(impostor, 0)), Is.EqualTo(0));
    }
}
