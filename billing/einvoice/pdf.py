"""The Factur-X PDF: a PDF/A-3b with the CII XML embedded as ``factur-x.xml``, through the
``factur-x`` package (its attachment, AFRelationship and the Factur-X XMP extension schema)."""

from __future__ import annotations

import facturx

# EN 16931 profile: the XML is the legally binding invoice alongside the visual PDF, so its
# relationship is "Alternative" (Factur-X 1.0, 6.2.2), not "Data" as for MINIMUM and BASIC WL.
AF_RELATIONSHIP = "alternative"


def facturx_pdf(pdf: bytes, *, cii: bytes, title: str, author: str) -> bytes:
    """``pdf`` (a PDF/A-3b) with ``cii`` embedded as ``factur-x.xml`` at the EN 16931 level,
    after checking it against the Factur-X EN 16931 XSD. Raises ``Exception`` from ``facturx``
    when the XML does not validate."""
    return facturx.generate_from_binary(
        pdf,
        cii,
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata={"author": author, "keywords": "Factur-X, Invoice", "title": title, "subject": title},
        lang="en-GB",
        afrelationship=AF_RELATIONSHIP,
    )
