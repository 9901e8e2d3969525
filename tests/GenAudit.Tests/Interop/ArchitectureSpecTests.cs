using GenAudit.Interop;
using GenAudit.Models;

namespace GenAudit.Tests.Interop;

public class ArchitectureSpecTests
{
    [Fact]
    public void TheDocumentedExamplesParse()
    {
        var mlp = ArchitectureSpec.Parse("gan:mlp:latent=16,width=128,data=2");
        Assert.Equal((ModelFamily.Gan, 16, 128), (mlp.Family, mlp.LatentSize, mlp.Width));
        Assert.Equal([2L], mlp.DataShape);
        var dcgan = ArchitectureSpec.Parse("gan:dcgan:latent=64,width=64,shape=1x28x28,conditions=10,sn");
        Assert.Equal((ModelFamily.Cgan, 10, true), (dcgan.Family, dcgan.ConditionCount, dcgan.SpectralNorm));
        Assert.Equal([1L, 28, 28], dcgan.DataShape);
        var vae = ArchitectureSpec.Parse("vae:conv:latent=8,width=32,shape=1x28x28,likelihood=gaussian,sigma=0.2");
        Assert.Equal((ModelFamily.Vae, VaeLikelihood.Gaussian, 0.2), (vae.Family, vae.Likelihood, vae.GaussianSigma));
    }

    [Theory]
    [InlineData("gan:mlp:latent=16,width=128,data=2")]
    [InlineData("gan:mlp:latent=16,width=256,data=2,depth=4")]
    [InlineData("gan:conv:latent=64,width=64,shape=1x28x28,activation=silu")]
    [InlineData("gan:conv:latent=64,width=64,shape=1x28x28,conditions=10,embedding=32,sn")]
    [InlineData("vae:conv:latent=8,width=32,shape=3x32x32,conditions=4,likelihood=gaussian,sigma=0.05")]
    public void FormatIsTheCanonicalFormAndParsesBack(string spec)
    {
        Assert.Equal(spec, ArchitectureSpec.Format(ArchitectureSpec.Parse(spec)));
    }

    [Theory]
    [InlineData("gan:mlp", "expected three ':'-separated parts")]
    [InlineData("flow:mlp:latent=2,data=2", "family 'flow' is not gan or vae")]
    [InlineData("gan:mlp:width=8,data=2", "'latent=' is required")]
    [InlineData("gan:mlp:latent=4,data=2,colour=3", "unknown key colour")]
    [InlineData("gan:conv:latent=4,shape=1x28x28,depth=3", "depth= applies to mlp networks only")]
    [InlineData("gan:mlp:latent=4,data=2,depth=0", "depth must be at least 1")]
    [InlineData("gan:mlp:latent=4,data=2,activation=tanh", "activation=tanh is not relu or silu")]
    [InlineData("gan:conv:latent=4,shape=28x28", "shape=28x28 is not CxHxW")]
    [InlineData("gan:conv:latent=4,shape=1x30x30", "multiple of 4")]
    [InlineData("gan:mlp:latent=4,data=2,sigma=1", "likelihood and sigma apply to vae only")]
    [InlineData("gan:mlp:latent=4,data=2,conditions=1", "at least 2 classes")]
    public void BadSpecsNameTheProblemAndShowTheGrammar(string spec, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => ArchitectureSpec.Parse(spec));
        Assert.Contains(expected, error.Message);
        Assert.Contains(ArchitectureSpec.Grammar, error.Message);
    }
}
