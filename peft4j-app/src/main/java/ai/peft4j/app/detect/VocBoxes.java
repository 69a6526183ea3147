package ai.peft4j.app.detect;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Pascal VOC detection folders ({@code JPEGImages/<id>.jpg}, {@code Annotations/<id>.xml},
 * {@code ImageSets/Main/<split>.txt}) as box JSON lines. VOC's boxes are 1-based inclusive pixel indices, so a box
 * {@code xmin..xmax} covers the continuous span {@code [xmin - 1, xmax]}, which is what is quantised. The image size
 * is the XML's {@code <size>}, checked against the image file's own.
 */
public final class VocBoxes {
    private VocBoxes() {}

    /** A VOC image's labelled boxes in continuous pixel coordinates. */
    public record Annotated(Path image, int width, int height, List<String> labels, List<float[]> boxes) {}

    /** The ids of a split list, in order. */
    public static List<String> ids(Path root, String split) throws IOException {
        Path list = root.resolve("ImageSets").resolve("Main").resolve(split + ".txt");
        if (!Files.isRegularFile(list)) {
            throw new IOException(list + ": split list not found (a VOC detection folder has ImageSets/Main/"
                    + "<split>.txt)");
        }
        List<String> ids = new ArrayList<>();
        for (String l : Files.readAllLines(list, StandardCharsets.UTF_8)) {
            if (!l.isBlank()) {
                ids.add(l.strip().split("\\s+")[0]);
            }
        }
        if (ids.isEmpty()) {
            throw new IOException(list + ": no ids");
        }
        return ids;
    }

    /** The annotation of one id. */
    public static Annotated read(Path root, String id) throws IOException {
        Path xml = root.resolve("Annotations").resolve(id + ".xml");
        Path image = root.resolve("JPEGImages").resolve(id + ".jpg");
        if (!Files.isRegularFile(xml)) {
            throw new IOException(xml + ": annotation not found");
        }
        if (!Files.isRegularFile(image)) {
            throw new IOException(image + ": image not found");
        }
        Document doc;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            DocumentBuilder b = f.newDocumentBuilder();
            doc = b.parse(xml.toFile());
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException(xml + ": not readable VOC XML (" + e.getMessage() + ")", e);
        }
        Element size = first(doc.getDocumentElement(), "size", xml);
        int width = (int) number(size, "width", xml);
        int height = (int) number(size, "height", xml);
        List<String> labels = new ArrayList<>();
        List<float[]> boxes = new ArrayList<>();
        NodeList objects = doc.getDocumentElement().getElementsByTagName("object");
        for (int i = 0; i < objects.getLength(); i++) {
            Element o = (Element) objects.item(i);
            String name = first(o, "name", xml).getTextContent().strip();
            Element bb = first(o, "bndbox", xml);
            boxes.add(new float[] {(float) number(bb, "xmin", xml) - 1, (float) number(bb, "ymin", xml) - 1,
                (float) number(bb, "xmax", xml), (float) number(bb, "ymax", xml)});
            labels.add(name);
        }
        return new Annotated(image, width, height, labels, boxes);
    }

    /**
     * The JSON lines of a split: prompt {@code <OD>}, the boxes encoded, image paths relative to {@code outDir}.
     * Boxes are checked against the image ({@link BoxJsonl#suffix}), naming the XML file.
     */
    public static List<ObjectNode> lines(Path root, String split, Path outDir) throws IOException {
        List<ObjectNode> out = new ArrayList<>();
        Path base = outDir.toAbsolutePath().normalize();
        for (String id : ids(root, split)) {
            Annotated a = read(root, id);
            String where = root.resolve("Annotations").resolve(id + ".xml").toString();
            String suffix = BoxJsonl.suffix(a.labels(), a.boxes(), a.width(), a.height(), where);
            out.add(BoxJsonl.line(base.relativize(a.image().toAbsolutePath().normalize()).toString(), "<OD>",
                    suffix));
        }
        return out;
    }

    private static Element first(Element parent, String tag, Path file) throws IOException {
        NodeList l = parent.getElementsByTagName(tag);
        if (l.getLength() == 0) {
            throw new IOException(file + ": no <" + tag + "> in <" + parent.getTagName() + ">");
        }
        return (Element) l.item(0);
    }

    private static double number(Element parent, String tag, Path file) throws IOException {
        String t = first(parent, tag, file).getTextContent().strip();
        try {
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new IOException(file + ": <" + tag + "> is '" + t + "', not a number");
        }
    }
}
