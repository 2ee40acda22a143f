using K3sLab.Lab.Images;

namespace K3sLab.Lab.Tests.Images;

[Trait("Category", "Unit")]
public sealed class BaseImageRecipeTests
{
    [Fact]
    public void Hash_SameRecipe_IsStable()
    {
        var copy = BaseImageRecipe.Default with { Packages = [.. BaseImageRecipe.Default.Packages] };

        copy.Hash.Should().Be(BaseImageRecipe.Default.Hash).And.MatchRegex("^[0-9a-f]{12}$");
        copy.Image.Should().Be($"k3slab/base:{copy.Hash}");
    }

    [Fact]
    public void Hash_AnyIngredientChanged_Differs()
    {
        var recipe = BaseImageRecipe.Default;

        new[]
        {
            recipe with { Suite = "trixie" },
            recipe with { Variant = "buildd" },
            recipe with { Packages = [.. recipe.Packages, "curl"] },
            recipe with { Revision = recipe.Revision + 1 },
        }.Select(r => r.Hash).Should().OnlyHaveUniqueItems().And.NotContain(recipe.Hash);
    }

    [Fact]
    public void NodeImageTag_CombinesRuntimeAndBaseHashes()
    {
        var tag = NodeImage.TagFor("0123456789ab", BaseImageRecipe.Default);

        tag.Should().Be($"0123456789ab-{BaseImageRecipe.Default.Hash[..8]}");
    }
}
