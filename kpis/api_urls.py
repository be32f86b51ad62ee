from django.urls import path

from .api import KpiBatchCreateView

urlpatterns = [path("kpi-batches/", KpiBatchCreateView.as_view(), name="kpi-batch-create")]
