package ai.peft4j.serve;

import static ai.peft4j.serve.ServiceFixture.postImage;
import static ai.peft4j.serve.ServiceFixture.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.peft4j.core.testing.SharedFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real headless Chromium: pick a line, upload a NEU-Seg image, see the overlay, areas and verdict
 * the API gives, switch lines and see them change, move the threshold, and see a refused file named. Screenshots
 * go to {@code target/screenshots/}. Skipped without Chromium and its driver, except under CI ({@code CI=true}).
 */
class InspectionPageBrowserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    @TempDir
    Path tmp;

    private static Path onPath(String... names) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String n : names) {
                Path p = Path.of(dir, n);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    private static void requireBrowser(Path browser, Path driver) {
        if (browser != null && driver != null) {
            return;
        }
        String why = "headless browser test needs Chromium and its driver on PATH (Debian: apt-get install chromium "
                + "chromium-driver); missing: " + (browser == null ? "chromium" : "") + (browser == null
                && driver == null ? ", " : "") + (driver == null ? "chromedriver" : "");
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(why + "; .ci/run installs them");
        }
        assumeTrue(false, why);
    }

    @Test
    void pickLineUploadSwitchAndThreshold_showWhatTheApiSays() throws Exception {
        Path browser = onPath("chromium", "chromium-browser", "google-chrome");
        Path driverBinary = onPath("chromedriver");
        requireBrowser(browser, driverBinary);
        Path neu = SharedFiles.require("data/neu-seg/JPEGImages/000001.jpg");
        Path image = tmp.resolve("neu-000001.jpg");
        Files.copy(neu, image, StandardCopyOption.REPLACE_EXISTING);
        Path notImage = tmp.resolve("notes.png");
        Files.writeString(notImage, "not a picture");
        Files.createDirectories(SCREENSHOTS);

        ServiceFixture fixture = new ServiceFixture(tmp.resolve("service"));
        byte[] jpeg = Files.readAllBytes(image);
        try (InspectionServer server = InspectionServer.start(fixture.settings(), new ArrayList<>())) {
            server.awaitReady();
            int port = server.port();
            JsonNode apiA = JSON.readTree(send(postImage(port, "/v1/inspect?png=base64&line=line-a", jpeg,
                    "image/jpeg")).body());
            JsonNode apiB = JSON.readTree(send(postImage(port, "/v1/inspect?png=base64&line=line-b", jpeg,
                    "image/jpeg")).body());

            ChromeOptions options = new ChromeOptions();
            options.setBinary(browser.toFile());
            // Root in a container has no sandbox; the page must fit a laptop screen.
            options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1366,900");
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(
                    driverBinary.toFile()).usingAnyFreePort().build();
            WebDriver driver = new ChromeDriver(service, options);
            try {
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
                driver.get("http://127.0.0.1:" + port + "/");
                wait.until(d -> new Select(d.findElement(By.id("line"))).getOptions().size() == 2);
                assertEquals("ready: 2 lines", driver.findElement(By.id("service")).getText());

                new Select(driver.findElement(By.id("line"))).selectByValue("line-a");
                driver.findElement(By.id("files")).sendKeys(image.toString());
                WebElement card = wait.until(d -> card(d, "line-a"));
                assertShows(apiA, card, driver);
                screenshot(driver, "serve-line-a.png");

                new Select(driver.findElement(By.id("line"))).selectByValue("line-b");
                card = wait.until(d -> card(d, "line-b"));
                assertShows(apiB, card, driver);
                assertNotEquals(pixels(apiA), pixels(apiB), "the lines give different areas");
                screenshot(driver, "serve-line-b.png");

                // The slider (which now reaches the image's area) re-decides from the areas: at the largest defect
                // area the image passes, one pixel below it fails.
                assertEquals("40000", driver.findElement(By.id("threshold")).getAttribute("max"));
                long most = 0;
                for (JsonNode c : apiB.path("images").get(0).path("classes")) {
                    most = c.path("id").asInt() > 0 ? Math.max(most, c.path("pixels").asLong()) : most;
                }
                ((JavascriptExecutor) driver).executeScript("const s = document.getElementById('threshold');"
                        + "s.value = arguments[0];"
                        + "s.dispatchEvent(new Event('input'));", most);
                assertEquals("PASS", card(driver, "line-b").findElement(By.className("verdict")).getText());
                ((JavascriptExecutor) driver).executeScript("const s = document.getElementById('threshold');"
                        + "s.value = arguments[0]; s.dispatchEvent(new Event('input'));", most - 1);
                assertEquals("FAIL", card(driver, "line-b").findElement(By.className("verdict")).getText());
                assertTrue(driver.findElements(By.cssSelector("#recent tbody tr")).size() >= 2);

                driver.findElement(By.id("files")).sendKeys(notImage.toString());
                WebElement refused = wait.until(d -> d.findElements(By.cssSelector(".card.refused")).stream()
                        .findFirst().orElse(null));
                String message = refused.findElement(By.className("refusal")).getText();
                assertTrue(message.startsWith("Refused: notes.png: not an image"), message);
                screenshot(driver, "serve-refused.png");
            } finally {
                driver.quit();
            }
        }
    }

    private static WebElement card(WebDriver d, String line) {
        return d.findElements(By.cssSelector(".card[data-line='" + line + "']")).stream().findFirst().orElse(null);
    }

    private static List<Long> pixels(JsonNode api) {
        List<Long> out = new ArrayList<>();
        api.path("images").get(0).path("classes").forEach(c -> out.add(c.path("pixels").asLong()));
        return out;
    }

    /** The card's overlay is the API's, its areas the API's, its verdict the API's at the same threshold. */
    private static void assertShows(JsonNode api, WebElement card, WebDriver driver) {
        JsonNode img = api.path("images").get(0);
        WebElement overlay = card.findElement(By.className("overlay"));
        assertEquals("data:image/png;base64," + img.path("overlay_png").asText(), overlay.getAttribute("src"));
        Object shown = ((JavascriptExecutor) driver).executeScript("return arguments[0].complete && "
                + "arguments[0].naturalWidth", overlay);
        assertEquals(200L, ((Number) shown).longValue(), "the overlay is drawn at the image's size");
        List<WebElement> rows = card.findElements(By.cssSelector(".areas tbody tr"));
        assertEquals(3, rows.size());
        for (int c = 0; c < 3; c++) {
            assertEquals(img.path("classes").get(c).path("name").asText(), rows.get(c).findElement(
                    By.className("class-name")).getText());
            assertEquals(img.path("classes").get(c).path("pixels").asText(), rows.get(c).findElement(
                    By.className("pixels")).getText());
        }
        assertEquals(img.path("verdict").path("result").asText().toUpperCase(), card.findElement(
                By.className("verdict")).getText());
    }

    private static void screenshot(WebDriver driver, String name) throws Exception {
        Path shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(shot, SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

}
