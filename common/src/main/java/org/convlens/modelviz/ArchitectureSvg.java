package org.convlens.modelviz;

import java.io.StringWriter;
import java.util.List;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * The architecture diagram as a standalone SVG: the {@link ModelSummary#diagram()} boxes stacked
 * top to bottom with arrows between them. Written through an XML writer, so layer names (which
 * come from the model file) are escaped, never pasted into markup.
 */
public final class ArchitectureSvg {
  static final int WIDTH = 420;
  static final int BOX_HEIGHT = 42;
  static final int GAP = 16;
  private static final String NS = "http://www.w3.org/2000/svg";

  private ArchitectureSvg() {}

  public static String render(List<ModelSummary.Node> nodes) {
    int height = nodes.size() * (BOX_HEIGHT + GAP) - GAP + 2;
    StringWriter text = new StringWriter();
    try {
      XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(text);
      x.writeStartElement("svg");
      x.writeDefaultNamespace(NS);
      x.writeAttribute("width", String.valueOf(WIDTH));
      x.writeAttribute("height", String.valueOf(height));
      x.writeAttribute("viewBox", "0 0 " + WIDTH + " " + height);
      x.writeAttribute("font-family", "sans-serif");
      x.writeStartElement("defs");
      x.writeStartElement("marker");
      x.writeAttribute("id", "arrow");
      x.writeAttribute("markerWidth", "8");
      x.writeAttribute("markerHeight", "8");
      x.writeAttribute("refX", "4");
      x.writeAttribute("refY", "4");
      x.writeAttribute("orient", "auto");
      x.writeEmptyElement("path");
      x.writeAttribute("d", "M0,0 L8,4 L0,8 z");
      x.writeAttribute("fill", "#555");
      x.writeEndElement();
      x.writeEndElement();
      for (int i = 0; i < nodes.size(); i++) {
        ModelSummary.Node n = nodes.get(i);
        int y = 1 + i * (BOX_HEIGHT + GAP);
        boolean io = i == 0 || n.parameters() == 0 && (n.title().equals("logits") || n.title().equals("embedding"));
        x.writeEmptyElement("rect");
        x.writeAttribute("x", "1");
        x.writeAttribute("y", String.valueOf(y));
        x.writeAttribute("width", String.valueOf(WIDTH - 2));
        x.writeAttribute("height", String.valueOf(BOX_HEIGHT));
        x.writeAttribute("rx", "6");
        x.writeAttribute("fill", io ? "#eef3f8" : n.parameters() > 0 ? "#fdf1dc" : "#f4f4f4");
        x.writeAttribute("stroke", "#888");
        text(x, 10, y + 17, 13, "bold", n.title());
        text(x, 10, y + 34, 11, "normal", n.subtitle());
        if (n.parameters() > 0) {
          x.writeStartElement("text");
          x.writeAttribute("x", String.valueOf(WIDTH - 10));
          x.writeAttribute("y", String.valueOf(y + 17));
          x.writeAttribute("font-size", "11");
          x.writeAttribute("text-anchor", "end");
          x.writeCharacters(String.format(Locale.ROOT, "%,d params", n.parameters()));
          x.writeEndElement();
        }
        if (i + 1 < nodes.size()) {
          x.writeEmptyElement("line");
          x.writeAttribute("x1", String.valueOf(WIDTH / 2));
          x.writeAttribute("y1", String.valueOf(y + BOX_HEIGHT));
          x.writeAttribute("x2", String.valueOf(WIDTH / 2));
          x.writeAttribute("y2", String.valueOf(y + BOX_HEIGHT + GAP - 4));
          x.writeAttribute("stroke", "#555");
          x.writeAttribute("marker-end", "url(#arrow)");
        }
      }
      x.writeEndElement();
      x.writeEndDocument();
      x.close();
    } catch (XMLStreamException e) {
      throw new IllegalStateException(e);
    }
    return text + "\n";
  }

  private static void text(XMLStreamWriter x, int px, int py, int size, String weight, String s)
      throws XMLStreamException {
    x.writeStartElement("text");
    x.writeAttribute("x", String.valueOf(px));
    x.writeAttribute("y", String.valueOf(py));
    x.writeAttribute("font-size", String.valueOf(size));
    x.writeAttribute("font-weight", weight);
    x.writeCharacters(s);
    x.writeEndElement();
  }
}
